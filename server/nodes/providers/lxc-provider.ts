import type { ServiceInfo } from '../node-runner.js';
import type { Provider, ProviderAction, ProviderParams } from './provider.js';

interface LxcListRow {
  name?: string;
  status?: string;
  config?: Record<string, string>;
  state?: { network?: Record<string, { addresses?: { address: string }[] }> };
}

/** LXD / Incus `lxc` CLI (the common front end of both). */
export const lxcProvider: Provider = {
  kind: 'lxc',
  argv(action: ProviderAction, name: string, p: ProviderParams): string[] {
    switch (action) {
      case 'create': {
        if (!p.image) throw new Error('lxc create needs params.image (e.g. images:debian/12)');
        const argv = ['lxc', 'init', p.image, name];
        for (const [k, v] of Object.entries(p.env ?? {}))
          argv.push(`--config=environment.${k}=${v}`);
        for (const [k, v] of Object.entries(p.labels ?? {})) argv.push(`--config=user.${k}=${v}`);
        if (p.memoryMb) argv.push(`--config=limits.memory=${p.memoryMb}MB`);
        return argv;
      }
      case 'start':
        return ['lxc', 'start', '--', name];
      case 'stop':
        return ['lxc', 'stop', '--', name];
      case 'remove':
        return ['lxc', 'delete', '--force', '--', name];
      case 'status':
        return ['lxc', 'list', '--format=json', '--', name];
      case 'list-services':
        return ['lxc', 'list', '--format=json'];
    }
  },
  parseServices(stdout: string, nodeId: string): ServiceInfo[] {
    let rows: LxcListRow[];
    try {
      rows = JSON.parse(stdout) as LxcListRow[];
    } catch {
      return [];
    }
    return rows.map((r) => ({
      nodeId,
      provider: 'lxc',
      name: r.name ?? '',
      state: (r.status ?? 'unknown').toLowerCase(),
      ports: [],
      labels: Object.fromEntries(
        Object.entries(r.config ?? {})
          .filter(([k]) => k.startsWith('user.'))
          .map(([k, v]) => [k.slice(5), v]),
      ),
    }));
  },
};
