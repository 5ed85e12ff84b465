import type { NodeCommandRequest } from '../../gateway/node-executor.js';
import { shArgv } from '../providers/script-provider.js';
import {
  action,
  CLONE,
  exec,
  keyInside,
  SERVICE_RUN,
  serviceRunArgs,
  serviceName,
  type WorkspacePlan,
} from './workspace-plan.js';

const KEY_FILE = '/root/.ssh/authorized_keys';

/**
 * LXD / Incus: a container `sb-<id>` from the workspace's image (one whose sshd starts at
 * boot, e.g. images:ubuntu/24.04 with openssh-server), a proxy device from the allocated
 * port on the node to its port 22, and the key written inside with `lxc exec`.
 */
export const lxcWorkspace: WorkspacePlan = {
  sshUser: () => 'root',
  // Services run in the background inside the container (setsid, a log per service under
  // /var/log), so stopping the container ends them; reached at its IPv4 address on the node.
  services: {
    start: (t, svc) =>
      svc.command === undefined
        ? []
        : [
            exec([
              'lxc',
              'exec',
              serviceName(t.workspace.id),
              '--',
              'sh',
              '-c',
              'cd /root; log=/var/log/sb-svc-$1.log; shift; nohup setsid sh -c "$0" switchboard "$@" >"$log" 2>&1 </dev/null &',
              SERVICE_RUN,
              svc.name,
              ...serviceRunArgs({ ...svc, command: svc.command }),
            ]),
          ],
    stop: () => [],
    inside: (t, command) =>
      exec(['lxc', 'exec', serviceName(t.workspace.id), '--', 'sh', '-c', command]),
    host: (t) => ({
      step: exec(['lxc', 'list', serviceName(t.workspace.id), '-c', '4', '--format', 'csv']),
    }),
  },
  steps(phase, t): NodeCommandRequest[] {
    const name = serviceName(t.workspace.id);
    const inside = ['lxc', 'exec', name, '--'];
    const setKey = exec(keyInside(inside, KEY_FILE, t.publicKey));
    switch (phase) {
      case 'create':
        if (!t.workspace.image)
          throw new Error('image: the lxc provider needs an image (e.g. images:ubuntu/24.04)');
        return [
          action('lxc', 'create', name, {
            image: t.workspace.image,
            labels: {
              'switchboard.workspace': t.workspace.id,
              'switchboard.user': t.workspace.user,
            },
          }),
          exec([
            'lxc',
            'config',
            'device',
            'add',
            name,
            'ssh',
            'proxy',
            `listen=tcp:0.0.0.0:${t.workspace.sshPort}`,
            'connect=tcp:127.0.0.1:22',
          ]),
          action('lxc', 'start', name),
          setKey,
          ...(t.workspace.repository
            ? [exec([...inside, ...shArgv(CLONE, t.workspace.repository, '/root/repo')])]
            : []),
        ];
      case 'start':
        return [action('lxc', 'start', name), setKey];
      case 'set-key':
        return [setKey];
      case 'stop':
        return [action('lxc', 'stop', name)];
      case 'remove':
        return [action('lxc', 'remove', name)];
    }
  },
};
