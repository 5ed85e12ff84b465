#!/usr/bin/env node
import { runMonitor } from './run-monitor.js';

/** Standalone entry: node dist/client/monitor/main.js --url URL [--token T] [--once|--json] */
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const code = await runMonitor({
  url: flag('--url') ?? process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:9500',
  token: flag('--token') ?? process.env.SWITCHBOARD_TOKEN,
  once: args.includes('--once'),
  json: args.includes('--json'),
});
process.exit(code);
