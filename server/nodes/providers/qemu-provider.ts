import type { ServiceInfo } from '../node-runner.js';
import {
  fileSafeName,
  type Provider,
  type ProviderAction,
  type ProviderParams,
} from './provider.js';
import {
  LIST_PIDFILES,
  parsePidfileList,
  REMOVE_PIDFILE,
  shArgv,
  STATUS_PIDFILE,
  STOP_PIDFILE,
} from './script-provider.js';

const DEFAULT_DIR = '.switchboard/qemu';

/** qemu's -drive takes comma-separated options: a comma in a value is written twice. */
function qemuValue(v: string): string {
  return v.replace(/,/g, ',,');
}

/**
 * QEMU virtual machines by convention: `start` daemonises qemu-system-x86_64 with a
 * pidfile in params.dir (default ~/.switchboard/qemu) and the disk image params.image;
 * stop/status/remove/list use the pidfiles. `create` makes the directory only.
 */
export const qemuProvider: Provider = {
  kind: 'qemu',
  argv(action: ProviderAction, name: string, p: ProviderParams): string[] {
    const dir = p.dir ?? DEFAULT_DIR;
    if (action === 'list-services') return shArgv(LIST_PIDFILES, dir);
    const safe = fileSafeName(name);
    switch (action) {
      case 'create':
        return ['mkdir', '-p', '--', dir];
      case 'start': {
        if (!p.image) throw new Error('qemu start needs params.image (a disk image path)');
        return [
          'qemu-system-x86_64',
          '-name',
          qemuValue(safe),
          '-daemonize',
          '-pidfile',
          `${dir}/${safe}.pid`,
          '-m',
          String(p.memoryMb ?? 512),
          '-display',
          'none',
          '-drive',
          `file=${qemuValue(p.image)},if=virtio`,
          ...(p.ports ?? []).flatMap((port) => [
            '-nic',
            `user,hostfwd=${port.protocol ?? 'tcp'}::${port.host}-:${port.container}`,
          ]),
        ];
      }
      case 'stop':
        return shArgv(STOP_PIDFILE, dir, safe);
      case 'status':
        return shArgv(STATUS_PIDFILE, dir, safe);
      case 'remove':
        return shArgv(REMOVE_PIDFILE, dir, safe);
    }
  },
  parseServices(stdout: string, nodeId: string): ServiceInfo[] {
    return parsePidfileList(stdout).map((s) => ({
      nodeId,
      provider: 'qemu',
      name: s.name,
      state: s.state,
      ports: [],
    }));
  },
};
