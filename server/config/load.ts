import { existsSync, readFileSync } from 'node:fs';
import { lazyRequire } from '../support/lazy-require.js';

const yaml = lazyRequire<typeof import('yaml')>('yaml');
import type { z } from 'zod';
import { ConfigError } from './config-error.js';
import { envLayer } from './env.js';
import { PRESET_VALUES } from './presets.js';
import { REDACTED, redactSecrets } from './redact.js';
import { configSchema, PRESETS, type HubConfig, type PresetName } from './schema.js';

export const DEFAULT_CONFIG_PATHS = ['./switchboard.yaml', '/etc/switchboard/switchboard.yaml'];

export interface LoadOptions {
  /** Explicit file (--config); it must exist. Otherwise the first default path that exists. */
  file?: string;
  /** --preset; wins over the environment and the file. */
  preset?: PresetName;
  env?: NodeJS.ProcessEnv;
  /** CLI flags, highest precedence. */
  overrides?: Record<string, unknown>;
  /** Skip looking at the default paths (tests). */
  noDefaultFile?: boolean;
}

export interface LoadedConfig {
  config: HubConfig;
  /** Which layers contributed, lowest first. */
  sources: string[];
}

/**
 * Precedence, lowest to highest: schema defaults < preset < config file < environment <
 * command-line flags. The preset itself is chosen by the highest layer that names one.
 */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const sources = ['defaults'];
  const file =
    options.file ??
    (options.noDefaultFile ? undefined : DEFAULT_CONFIG_PATHS.find((p) => existsSync(p)));
  let fileLayer: Record<string, unknown> = {};
  if (file) {
    if (!existsSync(file)) throw new ConfigError(`config file ${file} does not exist`);
    fileLayer = parseYamlFile(file);
    sources.push(`file ${file}`);
  }
  const envValues = envLayer(env);
  if (Object.keys(envValues).length) sources.push('environment');
  const overrides = options.overrides ?? {};
  if (Object.keys(overrides).length || options.preset) sources.push('flags');

  const presetName = (options.preset ??
    envValues.preset ??
    fileLayer.preset ??
    'production') as string;
  if (!(PRESETS as readonly string[]).includes(presetName)) {
    throw new ConfigError(
      `invalid configuration:\n  preset: expected one of ${PRESETS.join(', ')}, got ${JSON.stringify(presetName)}`,
      [`preset`],
    );
  }
  const merged = [PRESET_VALUES[presetName as PresetName], fileLayer, envValues, overrides].reduce(
    deepMerge,
    {} as Record<string, unknown>,
  );
  merged.preset = presetName;
  sources.splice(1, 0, `preset ${presetName}`);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => describeIssue(i, merged));
    throw new ConfigError(
      `invalid configuration (${lines.length} problem${lines.length > 1 ? 's' : ''}):\n${lines.map((l) => `  ${l}`).join('\n')}`,
      lines,
    );
  }
  return { config: parsed.data, sources };
}

function parseYamlFile(file: string): Record<string, unknown> {
  const doc = yaml().parseDocument(readFileSync(file, 'utf8'), { prettyErrors: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const where = e.linePos?.[0] ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    throw new ConfigError(`${file}: YAML syntax error${where}: ${e.message.split('\n')[0]}`);
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError(`${file}: the top level must be a mapping of sections`);
  return value as Record<string, unknown>;
}

function describeIssue(issue: z.core.$ZodIssue, input: Record<string, unknown>): string {
  const path = issue.path.map(String).join('.') || '(root)';
  let got: unknown = input;
  for (const k of issue.path)
    got =
      got && typeof got === 'object'
        ? (got as Record<PropertyKey, unknown>)[k as PropertyKey]
        : undefined;
  if (issue.code === 'unrecognized_keys') {
    return `${path === '(root)' ? '' : `${path}.`}${issue.keys.join(', ')}: unknown key${issue.keys.length > 1 ? 's' : ''} (typo?)`;
  }
  return `${path}: ${issue.message}${got === undefined ? '' : ` (got ${shownValue(issue.path, got)})`}`;
}

/** A refused value as the error shows it: never a credential, even in a malformed URL. */
function shownValue(path: PropertyKey[], got: unknown): string {
  const key = String(path[path.length - 1] ?? '');
  if (path.some((k) => String(k).toLowerCase().includes('secret'))) return REDACTED;
  const safe = redactSecrets({ [key]: got })[key];
  // Too broken to parse as a URL, but user:password@host shaped all the same.
  if (typeof safe === 'string' && safe.includes('@') && !safe.includes(REDACTED))
    return JSON.stringify(`${REDACTED}@${safe.slice(safe.lastIndexOf('@') + 1)}`);
  return JSON.stringify(safe);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    out[k] =
      isPlainObject(v) && isPlainObject(out[k])
        ? deepMerge(out[k] as Record<string, unknown>, v)
        : v;
  }
  return out;
}
