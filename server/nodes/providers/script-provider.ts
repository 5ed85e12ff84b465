/**
 * Helpers for providers that need a little shell on the node (pidfiles, background
 * processes). The script text is a constant written here; every user value reaches it as
 * a positional parameter ("$1", "$@"), which the shell never re-parses. That is the whole
 * trick: no user value is ever part of the script.
 */
export function shArgv(script: string, ...args: string[]): string[] {
  return ['sh', '-c', script, 'switchboard', ...args];
}

/** List pidfiles in "$1": one line per service, name base64-encoded so any byte survives. */
export const LIST_PIDFILES = `dir=$1
for f in "$dir"/*.pid; do
  [ -e "$f" ] || continue
  n=\${f##*/}; n=\${n%.pid}
  pid=$(cat "$f" 2>/dev/null)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then s=running; else s=stopped; fi
  printf '%s %s %s\\n' "$(printf %s "$n" | base64 | tr -d '\\n')" "$s" "$pid"
done`;

export function parsePidfileList(stdout: string): { name: string; state: string; pid: number }[] {
  const out: { name: string; state: string; pid: number }[] = [];
  for (const line of stdout.split('\n')) {
    const [b64, state, pid] = line.trim().split(' ');
    if (!b64 || !state) continue;
    out.push({ name: Buffer.from(b64, 'base64').toString(), state, pid: Number(pid) || 0 });
  }
  return out;
}

/** Stop the process in "$1/$2.pid": TERM, wait up to 5 s, then KILL. */
export const STOP_PIDFILE = `pid=$(cat "$1/$2.pid" 2>/dev/null) || { echo "not running"; exit 0; }
kill "$pid" 2>/dev/null; i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
kill -9 "$pid" 2>/dev/null; echo stopped`;

/** "running PID" (exit 0), or "stopped"/"absent" (exit 3, like LSB status). */
export const STATUS_PIDFILE = `pid=$(cat "$1/$2.pid" 2>/dev/null) || { echo absent; exit 3; }
if kill -0 "$pid" 2>/dev/null; then echo "running $pid"; else echo stopped; exit 3; fi`;

/** Kill and forget: the pidfile and the log go. */
export const REMOVE_PIDFILE = `pid=$(cat "$1/$2.pid" 2>/dev/null) && kill -9 "$pid" 2>/dev/null
rm -f "$1/$2.pid" "$1/$2.log"; echo removed`;
