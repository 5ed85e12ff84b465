import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/**
 * Resource usage of any process by pid, from Linux /proc (for the hub's RSS per connection
 * and CPU on heartbeats). RSS from /proc/<pid>/status VmRSS; CPU from /proc/<pid>/stat
 * utime+stime (clock ticks, converted with CLK_TCK).
 */
export interface ProcStats {
  readonly rssBytes: number;
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
  /** cpuUserMs + cpuSystemMs */
  readonly cpuMs: number;
}

let clkTck: number | undefined;
function ticksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

export function readRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

export function readCpuMs(pid: number): { user: number; system: number } {
  return cpuOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/**
 * CPU of one thread of `pid`: by default its main thread (tid = pid), where a Node server's
 * event loop runs; the rest of the process's CPU is V8's helper threads (concurrent GC,
 * compilation), libuv's thread pool (file I/O) and worker threads.
 */
export function readThreadCpuMs(pid: number, tid = pid): { user: number; system: number } {
  return cpuOfStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
}

function cpuOfStat(stat: string): { user: number; system: number } {
  // Field 2 (comm) may contain spaces and parentheses: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After comm, fields[0] is field 3 (state); utime is field 14, stime field 15.
  const tick = 1000 / ticksPerSecond();
  return { user: Number(fields[11]) * tick, system: Number(fields[12]) * tick };
}

export function readProcStats(pid: number): ProcStats {
  const cpu = readCpuMs(pid);
  return {
    rssBytes: readRssBytes(pid),
    cpuUserMs: cpu.user,
    cpuSystemMs: cpu.system,
    cpuMs: cpu.user + cpu.system,
  };
}

/** Difference of two samples: CPU spent between them, RSS at the later one. */
export function diffProcStats(before: ProcStats, after: ProcStats): ProcStats {
  const user = after.cpuUserMs - before.cpuUserMs;
  const system = after.cpuSystemMs - before.cpuSystemMs;
  return { rssBytes: after.rssBytes, cpuUserMs: user, cpuSystemMs: system, cpuMs: user + system };
}
