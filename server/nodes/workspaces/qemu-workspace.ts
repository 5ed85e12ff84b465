import { createHash } from 'node:crypto';
import type { NodeCommandRequest } from '../../gateway/node-executor.js';
import type { WorkspaceTarget } from '../../gateway/workspace-driver.js';
import { qemuProvider } from '../providers/qemu-provider.js';
import { shArgv } from '../providers/script-provider.js';
import { action, exec, serviceName, type WorkspacePlan } from './workspace-plan.js';

const DEFAULT_DIR = '.switchboard/qemu';
const LOGIN = 'dev';

/**
 * A cloud-init NoCloud seed with the key for user "dev" (and the repository to clone), made
 * with cloud-localds. "$1" dir, "$2" name, "$3" instance id, "$4" key, "$5" repository; the
 * values are written with printf, never spliced into the script.
 */
const SEED = `cd "$1" || exit 1
{
  printf '#cloud-config\\nusers:\\n  - name: ${LOGIN}\\n    shell: /bin/bash\\n'
  printf '    sudo: ALL=(ALL) NOPASSWD:ALL\\n    ssh_authorized_keys:\\n      - "%s"\\n' "$4"
  [ -n "$5" ] && printf 'runcmd:\\n  - [sudo, -u, ${LOGIN}, git, clone, --, "%s", /home/${LOGIN}/repo]\\n' "$5"
} >"$2.user-data"
printf 'instance-id: %s\\nlocal-hostname: %s\\n' "$3" "$2" >"$2.meta-data"
cloud-localds "$2.seed.iso" "$2.user-data" "$2.meta-data"`;

/** A copy-on-write overlay over the base image, so the image itself is never written. */
const OVERLAY = `cd "$1" || exit 1
[ -f "$2.qcow2" ] || qemu-img create -q -f qcow2 -F qcow2 -b "$3" "$2.qcow2"`;

const REMOVE_FILES = `cd "$1" 2>/dev/null || exit 0
rm -f -- "$2.qcow2" "$2.seed.iso" "$2.user-data" "$2.meta-data"`;

function dirOf(t: Omit<WorkspaceTarget, 'publicKey'>): string {
  const dir = t.node.metadata.qemuDir;
  return typeof dir === 'string' ? dir : DEFAULT_DIR;
}

/**
 * QEMU: a VM `sb-<id>` booted from a qcow2 overlay of the workspace's image (a cloud image
 * with cloud-init), user networking forwarding the allocated port to its port 22, and the
 * key given to cloud-init in a seed. cloud-init applies keys once per instance id, so the
 * id changes with the key: a new key reaches a VM at its next start, not while it runs.
 */
export const qemuWorkspace: WorkspacePlan = {
  sshUser: () => LOGIN,
  steps(phase, t): NodeCommandRequest[] {
    const name = serviceName(t.workspace.id);
    const dir = dirOf(t);
    const keyId = createHash('sha256').update(t.publicKey).digest('hex').slice(0, 12);
    const seed = exec(
      shArgv(
        SEED,
        dir,
        name,
        `${t.workspace.id}-${keyId}`,
        t.publicKey,
        t.workspace.repository ?? '',
      ),
    );
    const boot = (): NodeCommandRequest =>
      exec([
        ...qemuProvider.argv('start', name, {
          image: `${dir}/${name}.qcow2`,
          dir,
          ports: [{ host: t.workspace.sshPort, container: 22 }],
        }),
        '-drive',
        `file=${dir}/${name}.seed.iso,if=virtio,format=raw`,
      ]);
    switch (phase) {
      case 'create':
        if (!t.workspace.image)
          throw new Error('image: the qemu provider needs an image (a qcow2 cloud image path)');
        return [
          action('qemu', 'create', name, { dir }),
          exec(shArgv(OVERLAY, dir, name, t.workspace.image)),
          seed,
          boot(),
        ];
      case 'start':
        return [seed, boot()];
      case 'set-key':
        return [seed];
      case 'stop':
        return [action('qemu', 'stop', name, { dir })];
      case 'remove':
        return [action('qemu', 'remove', name, { dir }), exec(shArgv(REMOVE_FILES, dir, name))];
    }
  },
};
