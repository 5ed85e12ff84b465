import type { ServiceInfo } from '../node-runner.js';
import type { Provider, ProviderAction, ProviderParams } from './provider.js';

interface DockerPsRow {
  Names?: string;
  Image?: string;
  State?: string;
  Status?: string;
  Ports?: string;
  Labels?: string;
}

/** `docker` CLI. `--name=value` and `--` keep a hostile name from being read as a flag. */
export const dockerProvider: Provider = {
  kind: 'docker',
  argv(action: ProviderAction, name: string, p: ProviderParams): string[] {
    switch (action) {
      case 'create': {
        if (!p.image) throw new Error('docker create needs params.image');
        const argv = ['docker', 'create', `--name=${name}`];
        for (const port of p.ports ?? [])
          argv.push(`--publish=${port.host}:${port.container}/${port.protocol ?? 'tcp'}`);
        for (const [k, v] of Object.entries(p.env ?? {})) argv.push(`--env=${k}=${v}`);
        for (const [k, v] of Object.entries(p.labels ?? {})) argv.push(`--label=${k}=${v}`);
        if (p.memoryMb) argv.push(`--memory=${p.memoryMb}m`);
        argv.push('--', p.image, ...(p.command ?? []));
        return argv;
      }
      case 'start':
        return ['docker', 'start', '--', name];
      case 'stop':
        return ['docker', 'stop', '--', name];
      case 'remove':
        return ['docker', 'rm', '--force', '--', name];
      case 'status':
        return ['docker', 'inspect', '--format={{json .State}}', '--', name];
      case 'list-services':
        return ['docker', 'ps', '--no-trunc', '--format={{json .}}'];
    }
  },
  parseServices(stdout: string, nodeId: string): ServiceInfo[] {
    const out: ServiceInfo[] = [];
    for (const line of stdout.split('\n')) {
      if (!line.trim()) continue;
      let row: DockerPsRow;
      try {
        row = JSON.parse(line) as DockerPsRow;
      } catch {
        continue;
      }
      out.push({
        nodeId,
        provider: 'docker',
        name: row.Names ?? '',
        ...(row.Image ? { image: row.Image } : {}),
        state: row.State ?? row.Status ?? 'unknown',
        ports: parseDockerPorts(row.Ports ?? ''),
        labels: Object.fromEntries(
          (row.Labels ?? '')
            .split(',')
            .filter(Boolean)
            .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
        ),
      });
    }
    return out;
  },
};

/** "0.0.0.0:8080->80/tcp, :::8080->80/tcp, 9000/tcp" → published ports (IPv6 duplicates folded). */
export function parseDockerPorts(s: string): ServiceInfo['ports'] {
  const seen = new Set<string>();
  const ports: ServiceInfo['ports'] = [];
  for (const part of s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const m = /(?::(\d+)->)?(\d+)\/(\w+)$/.exec(part);
    if (!m) continue;
    const key = `${m[1] ?? ''}:${m[2]}/${m[3]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    ports.push({
      ...(m[1] ? { host: Number(m[1]) } : {}),
      container: Number(m[2]),
      protocol: m[3]!,
    });
  }
  return ports;
}
