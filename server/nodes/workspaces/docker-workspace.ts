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

/**
 * What the container runs: host keys made on first start, then sshd in the foreground. The
 * image must have OpenSSH's server at /usr/sbin/sshd (and git, to clone a repository).
 */
export const CONTAINER_SSHD = `mkdir -p /run/sshd /root/.ssh && chmod 700 /root/.ssh && ssh-keygen -A >/dev/null && exec /usr/sbin/sshd -D -e`;

const KEY_FILE = '/root/.ssh/authorized_keys';

/**
 * Docker: a container `sb-<id>` from the workspace's image, its port 22 published on the
 * allocated port, labelled with the workspace and its owner; the key is written inside it
 * with `docker exec`, so it lives only in the container. One logs in as root.
 */
export const dockerWorkspace: WorkspacePlan = {
  sshUser: () => 'root',
  // Services run detached inside the container (`docker exec -d`), so stopping or removing
  // the container ends them; they are reached at the container's address on the node.
  services: {
    start: (t, svc) =>
      svc.command === undefined
        ? []
        : [
            exec([
              'docker',
              'exec',
              '-d',
              '-w',
              '/root',
              serviceName(t.workspace.id),
              ...shArgv(SERVICE_RUN, ...serviceRunArgs({ ...svc, command: svc.command })),
            ]),
          ],
    stop: () => [],
    inside: (t, command) =>
      exec(['docker', 'exec', serviceName(t.workspace.id), 'sh', '-c', command]),
    host: (t) => ({
      step: exec([
        'docker',
        'inspect',
        '-f',
        '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}',
        serviceName(t.workspace.id),
      ]),
    }),
  },
  steps(phase, t): NodeCommandRequest[] {
    const name = serviceName(t.workspace.id);
    const setKey = exec(keyInside(['docker', 'exec', name], KEY_FILE, t.publicKey));
    switch (phase) {
      case 'create': {
        if (!t.workspace.image) throw new Error('image: the docker provider needs an image');
        return [
          action('docker', 'create', name, {
            image: t.workspace.image,
            ports: [{ host: t.workspace.sshPort, container: 22 }],
            labels: {
              'switchboard.workspace': t.workspace.id,
              'switchboard.user': t.workspace.user,
            },
            command: ['sh', '-c', CONTAINER_SSHD],
          }),
          action('docker', 'start', name),
          setKey,
          ...(t.workspace.repository
            ? [
                exec([
                  'docker',
                  'exec',
                  name,
                  ...shArgv(CLONE, t.workspace.repository, '/root/repo'),
                ]),
              ]
            : []),
        ];
      }
      case 'start':
        return [action('docker', 'start', name), setKey];
      case 'set-key':
        return [setKey];
      case 'stop':
        return [action('docker', 'stop', name)];
      case 'remove':
        return [action('docker', 'remove', name)];
    }
  },
};
