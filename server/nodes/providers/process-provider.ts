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

const DEFAULT_DIR = '.switchboard/services';

const START = `dir=$1; name=$2; shift 2
mkdir -p "$dir" || exit 1
if [ -f "$dir/$name.pid" ] && kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null; then echo "already running"; exit 0; fi
nohup setsid "$@" >"$dir/$name.log" 2>&1 </dev/null &
echo $! >"$dir/$name.pid"
echo "started $!"`;

/**
 * Plain processes: `create`/`start` run params.command in the background (setsid + nohup)
 * with a pidfile and a log in params.dir (default ~/.switchboard/services); stop, status,
 * remove and list work from the pidfiles.
 */
export const processProvider: Provider = {
  kind: 'process',
  argv(action: ProviderAction, name: string, p: ProviderParams): string[] {
    const dir = p.dir ?? DEFAULT_DIR;
    if (action === 'list-services') return shArgv(LIST_PIDFILES, dir);
    const safe = fileSafeName(name);
    switch (action) {
      case 'create':
      case 'start':
        if (!p.command?.length)
          throw new Error('the process provider needs params.command (an argv)');
        return shArgv(START, dir, safe, ...p.command);
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
      provider: 'process',
      name: s.name,
      state: s.state,
      ports: [],
      labels: { pid: String(s.pid) },
    }));
  },
};
