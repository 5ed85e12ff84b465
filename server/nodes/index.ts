export { NodeError, NodeErrorCode } from './errors.js';
export { quoteArg, joinArgv } from './shell-quote.js';
export {
  generateEd25519KeyPair,
  loadNodeKey,
  loadOrCreateHubKey,
  NODE_KEY_NAME,
  type HubKeyPair,
} from './hub-keys.js';
export { PortForward } from './port-forward.js';
export { PortForwards, type PortForwardsOptions, type ChannelOpener } from './port-forwards.js';
export { NodeProbe, type NodeProbeOptions } from './node-probe.js';
export { KnownHosts, fingerprint } from './known-hosts.js';
export {
  SshPool,
  type SshTarget,
  type SshPoolOptions,
  type ExecResult,
  type PoolStats,
} from './ssh-pool.js';
export { SshRunner, targetOf } from './ssh-runner.js';
export { installHubKey, type InstallCredentials } from './key-installer.js';
export { NodeService, DEFAULT_FORWARDS, type NodeServiceOptions } from './node-service.js';
export type { NodeRunner, CommandOutcome, RunRequest, ServiceInfo } from './node-runner.js';
export {
  PROVIDERS,
  providerParams,
  PROVIDER_ACTIONS,
  type Provider,
  type ProviderAction,
  type ProviderParams,
} from './providers/index.js';
