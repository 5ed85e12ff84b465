export {
  configSchema,
  PRESETS,
  type HubConfig,
  type ConfigInput,
  type PresetName,
} from './schema.js';
export { PRESET_VALUES } from './presets.js';
export { loadConfig, DEFAULT_CONFIG_PATHS, type LoadOptions, type LoadedConfig } from './load.js';
export { ConfigError } from './config-error.js';
export { ENV_VARS, envLayer } from './env.js';
export { renderConfigJson, renderConfigYaml, renderInitFile } from './render.js';
export { redactSecrets, redactUrl } from './redact.js';
export { loadOrCreateSecret } from './secret.js';
export { queueLimitsOf, type QueuesConfig } from './queues-schema.js';
