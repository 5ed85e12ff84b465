import { dockerProvider } from './docker-provider.js';
import { lxcProvider } from './lxc-provider.js';
import { processProvider } from './process-provider.js';
import type { Provider } from './provider.js';
import { qemuProvider } from './qemu-provider.js';

export const PROVIDERS: Record<string, Provider> = {
  docker: dockerProvider,
  lxc: lxcProvider,
  qemu: qemuProvider,
  process: processProvider,
};

export {
  providerParams,
  PROVIDER_ACTIONS,
  type Provider,
  type ProviderAction,
  type ProviderParams,
} from './provider.js';
export { parseDockerPorts } from './docker-provider.js';
