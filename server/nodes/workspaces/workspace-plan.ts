import type { WorkspaceServiceSpec } from '../../core/index.js';
import type { WorkspacePhase, WorkspaceTarget } from '../../gateway/workspace-driver.js';
import type { NodeCommandRequest } from '../../gateway/node-executor.js';
import { shArgv } from '../providers/script-provider.js';

/** How one provider runs workspaces: the node commands of each phase, and the login user. */
export interface WorkspacePlan {
  steps(phase: WorkspacePhase, target: WorkspaceTarget): NodeCommandRequest[];
  sshUser(target: Omit<WorkspaceTarget, 'publicKey'>): string;
  /** How it runs a workspace's services; absent: it runs none (a workspace with services is a 400). */
  services?: ServicePlan;
}

type Where = Omit<WorkspaceTarget, 'publicKey'>;

/** A provider's command lines for services (see WorkspaceDriver.serviceSteps). */
export interface ServicePlan {
  start(t: Where, service: WorkspaceServiceSpec): NodeCommandRequest[];
  stop(t: Where, service: WorkspaceServiceSpec): NodeCommandRequest[];
  inside(t: Where, command: string): NodeCommandRequest;
  host(t: Where): { host: string } | { step: NodeCommandRequest };
}

/**
 * What a service's command runs under: "$1" the command, "$2" (when there is one) its port,
 * as $PORT; in the directory the caller chose. The command is the user's own shell line,
 * run as given: it is inside the user's own workspace.
 */
export const SERVICE_RUN = `cmd=$1; if [ $# -gt 1 ]; then PORT=$2; export PORT; fi; exec sh -c "$cmd"`;

/** The arguments SERVICE_RUN takes for a service. */
export function serviceRunArgs(svc: WorkspaceServiceSpec & { command: string }): string[] {
  return svc.port === undefined ? [svc.command] : [svc.command, String(svc.port)];
}

/** The provider's name for a workspace's container, VM or process: its id says whose it is. */
export function serviceName(id: string): string {
  return `sb-${id}`;
}

/** A command line on the node, as an argv (each element quoted: no value can inject shell). */
export function exec(argv: string[]): NodeCommandRequest {
  return { type: 'exec', action: argv[0]!, args: { argv }, provider: undefined };
}

/** A provider action (create, start, stop, remove) on the named service. */
export function action(
  provider: string,
  type: 'create' | 'start' | 'stop' | 'remove',
  name: string,
  args: Record<string, unknown> = {},
): NodeCommandRequest {
  return { type, action: name, args, provider };
}

/**
 * Write the key as the only line of an authorized_keys file, atomically (a login meanwhile
 * sees the old file or the new one). "$1" is the file, "$2" the key: positional, never parsed.
 */
export const WRITE_KEY = `f=$1; umask 077; mkdir -p "$(dirname "$f")" || exit 1
printf '%s\\n' "$2" >"$f.tmp" && mv -f "$f.tmp" "$f"`;

/** Clone "$1" into "$2" unless it is there already (a restart of a failed create). */
export const CLONE = `[ -d "$2/.git" ] && exit 0
git clone --quiet -- "$1" "$2"`;

/** The argv that writes the key inside a container through `prefix` (docker exec, lxc exec). */
export function keyInside(prefix: string[], file: string, key: string): string[] {
  return [...prefix, ...shArgv(WRITE_KEY, file, key)];
}
