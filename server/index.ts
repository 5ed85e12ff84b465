/**
 * `switchboard/server`: embed a hub in your own process (tests, a custom launcher). The CLI
 * (`switchboard start`) is this plus argument parsing; anything not exported here is
 * internal and may change.
 */
export { startHubProcess, type RunningHub, type StartOptions } from './runtime/hub-process.js';
export { loadConfig, configSchema, PRESETS, ConfigError } from './config/index.js';
export type {
  HubConfig,
  ConfigInput,
  PresetName,
  LoadOptions,
  LoadedConfig,
} from './config/index.js';
export { mintToken, issueToken, verifyToken, ROLES, TokenError } from './auth/index.js';
export type { Role, Grant, MintOptions } from './auth/index.js';
