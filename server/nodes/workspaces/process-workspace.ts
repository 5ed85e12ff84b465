import type { WorkspaceTarget } from '../../gateway/workspace-driver.js';
import type { NodeCommandRequest } from '../../gateway/node-executor.js';
import { shArgv } from '../providers/script-provider.js';
import {
  action,
  CLONE,
  exec,
  SERVICE_RUN,
  serviceRunArgs,
  WRITE_KEY,
  type ServicePlan,
  type WorkspacePlan,
} from './workspace-plan.js';

const DEFAULT_DIR = '.switchboard/workspaces';
const DEFAULT_SSHD = '/usr/sbin/sshd';
/** The process provider's service name inside the workspace's own directory. */
const SERVICE = 'workspace';

/**
 * The workspace's directory: host key, sshd_config, authorized_keys, its pidfile and log.
 * It makes the files with absolute paths (sshd wants them), from "$1" relative to the login
 * home; "$2" is the port, "$3" the listen address ("" for every address).
 */
const PREPARE = `mkdir -p "$1" && chmod 700 "$1" && cd "$1" || exit 1
dir=$(pwd); port=$2; listen=$3
[ -f "$dir/host_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key" || exit 1
{
  echo "Port $port"
  [ -n "$listen" ] && echo "ListenAddress $listen"
  echo "HostKey $dir/host_key"
  echo "AuthorizedKeysFile $dir/authorized_keys"
  echo "PidFile none"
  echo "PasswordAuthentication no"
  echo "KbdInteractiveAuthentication no"
  echo "PubkeyAuthentication yes"
  echo "UsePAM no"
  echo "StrictModes no"
} >"$dir/sshd_config.tmp" && mv -f "$dir/sshd_config.tmp" "$dir/sshd_config"`;

/**
 * Stop everything the workspace runs: its sshd and every process below it. sshd puts each
 * login in a session of its own, so one process group does not cover them; the tree does,
 * read while the sshd still lives (a dead parent's children go to init and lose the trail).
 * TERM, up to 5 s, then KILL.
 */
const KILL_TREE = `pid=$(cat "$1/$2.pid" 2>/dev/null) || exit 0
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || exit 0
tree() { ps -e -o pid= -o ppid= | awk -v root="$pid" '{ parent[$1] = $2 }
  END { keep[root] = 1; grew = 1
    while (grew) { grew = 0; for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; grew = 1 } }
    for (p in keep) print p }'; }
pids=$(tree); kill -TERM $pids 2>/dev/null; i=0
while [ $i -lt 50 ]; do alive=; for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
  [ -z "$alive" ] && break; sleep 0.1; i=$((i+1)); done
kill -KILL $pids 2>/dev/null; echo stopped`;

/** Remove the workspace's directory, and only a directory named for the workspace. */
const REMOVE_DIR = `case "$1" in */"$2") ;; *) echo "refusing to remove $1"; exit 2 ;; esac
rm -rf -- "$1"`;

function dirOf(t: Omit<WorkspaceTarget, 'publicKey'>): string {
  const base = t.node.metadata.workspaceDir;
  return `${typeof base === 'string' ? base : DEFAULT_DIR}/${t.workspace.id}`;
}

/** A service's pidfile and log name in the workspace's directory (beside `workspace`). */
function serviceFile(name: string): string {
  return `svc-${name}`;
}

/**
 * A service is a process of its own (setsid, pidfile `svc-<name>.pid` and its log in the
 * workspace's directory), run in that directory with $PORT set, on the node itself: its
 * port is on the node's loopback. Stopping it stops its whole tree, like the sshd's.
 */
const processServices: ServicePlan = {
  start: (t, svc) =>
    svc.command === undefined
      ? []
      : [
          action('process', 'start', serviceFile(svc.name), {
            dir: dirOf(t),
            command: [
              'sh',
              '-c',
              `cd "$1" || exit 1; shift; ${SERVICE_RUN}`,
              'sh',
              dirOf(t),
              ...serviceRunArgs({ ...svc, command: svc.command }),
            ],
          }),
        ],
  stop: (t, svc) =>
    svc.command === undefined
      ? []
      : [
          exec(shArgv(KILL_TREE, dirOf(t), serviceFile(svc.name))),
          action('process', 'stop', serviceFile(svc.name), { dir: dirOf(t) }),
        ],
  inside: (t, command) =>
    exec(['sh', '-c', 'cd "$1" || exit 1; exec sh -c "$2"', 'sh', dirOf(t), command]),
  host: () => ({ host: '127.0.0.1' }),
};

/**
 * The process provider: a workspace is its own sshd, run as the node's SSH user on the
 * allocated port with the owner's key as its only authorized key, started through the
 * process provider (setsid, pidfile) in a directory of its own. For single-user or trusted
 * nodes and tests: the owner logs in as the node's user. Node metadata may set
 * `workspaceDir` (default ~/.switchboard/workspaces), `sshd` (the daemon's absolute path)
 * and `workspaceListen` (the address its sshd listens on; default every address).
 */
export const processWorkspace: WorkspacePlan = {
  sshUser: (t) => t.node.sshUser,
  services: processServices,
  steps(phase, t): NodeCommandRequest[] {
    const dir = dirOf(t);
    const sshd = typeof t.node.metadata.sshd === 'string' ? t.node.metadata.sshd : DEFAULT_SSHD;
    const listen = t.node.metadata.workspaceListen;
    const setKey = exec(shArgv(WRITE_KEY, `${dir}/authorized_keys`, t.publicKey));
    const start = action('process', 'start', SERVICE, {
      dir,
      command: [sshd, '-D', '-e', '-f', `${dir}/sshd_config`],
    });
    const killTree = exec(shArgv(KILL_TREE, dir, SERVICE));
    switch (phase) {
      case 'create':
        return [
          exec(
            shArgv(
              PREPARE,
              dir,
              String(t.workspace.sshPort),
              typeof listen === 'string' ? listen : '',
            ),
          ),
          setKey,
          ...(t.workspace.repository
            ? [exec(shArgv(CLONE, t.workspace.repository, `${dir}/repo`))]
            : []),
          start,
        ];
      case 'start':
        return [setKey, start];
      case 'set-key':
        return [setKey];
      case 'stop':
        return [killTree, action('process', 'stop', SERVICE, { dir })];
      case 'remove':
        return [
          killTree,
          action('process', 'remove', SERVICE, { dir }),
          exec(shArgv(REMOVE_DIR, dir, t.workspace.id)),
        ];
    }
  },
};
