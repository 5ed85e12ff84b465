#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { runMonitor } from './run-monitor.js';

/**
 * Standalone entry: node dist/client/monitor/main.js --url URL [--token T] [--ca FILE]
 * [--client-cert FILE --client-key FILE] [--once|--json]
 */
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const file = (name: string, env: string): Buffer | undefined => {
  const p = flag(name) ?? process.env[env];
  return p ? readFileSync(p) : undefined;
};
const ca = file('--ca', 'SWITCHBOARD_CA');
const cert = file('--client-cert', 'SWITCHBOARD_CLIENT_CERT');
const key = file('--client-key', 'SWITCHBOARD_CLIENT_KEY');
const code = await runMonitor({
  tls: { ca, cert, key },
  url: flag('--url') ?? process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:9500',
  token: flag('--token') ?? process.env.SWITCHBOARD_TOKEN,
  once: args.includes('--once'),
  json: args.includes('--json'),
});
process.exit(code);
