import { ErrorCode } from '../../protocol/index.js';
import { fail, OK, type CommandResult } from './command-result.js';
import type { CoreState } from './core-state.js';
import type { ScheduleCommand } from './schedule-commands.js';
import { timingOf, type ScheduleRecord } from './schedule-state.js';
import { DEFAULT_TZ, nextOccurrence, timingProblem } from './schedule-timing.js';
import { submit } from './task-submit.js';

type Fire = Extract<ScheduleCommand, { type: 'schedule.fire' }>;

/**
 * A fire the hub reaches more than this late counts as missed, like one due while the hub was
 * down: the clock jumped forward, or the process was stopped (SIGSTOP, a suspended VM). A
 * busy hub is late by milliseconds, far below it.
 */
export const MISSED_AFTER_MS = 60_000;

/** The rules of schedules: create, pause, resume, remove, and each fire (schedules.md). */
export function applySchedule(s: CoreState, cmd: ScheduleCommand): CommandResult {
  switch (cmd.type) {
    case 'schedule.create':
      return create(s, cmd);
    case 'schedule.pause':
    case 'schedule.resume':
      return setPaused(s, cmd.name, cmd.type === 'schedule.pause', cmd.now);
    case 'schedule.remove': {
      const r = s.schedules.byName.get(cmd.name);
      if (!r) return notFound(cmd.name);
      s.schedules.byName.delete(cmd.name);
      s.emit({ type: 'schedule.removed', schedule: r });
      return OK;
    }
    case 'schedule.fire':
      return applyFire(s, cmd);
  }
}

function create(
  s: CoreState,
  cmd: Extract<ScheduleCommand, { type: 'schedule.create' }>,
): CommandResult {
  if (s.schedules.byName.has(cmd.name))
    return fail(ErrorCode.SCHEDULE_EXISTS, `a schedule named ${cmd.name} exists`);
  if ((cmd.cron === undefined) === (cmd.everyMs === undefined))
    return fail(ErrorCode.INVALID_SCHEDULE, 'give exactly one of cron and everyMs');
  if (cmd.cron !== undefined) {
    const problem = timingProblem(cmd.cron, cmd.tz ?? DEFAULT_TZ, cmd.now);
    if (problem) return fail(ErrorCode.INVALID_SCHEDULE, `${problem.field}: ${problem.message}`);
  }
  const r: ScheduleRecord = {
    name: cmd.name,
    id: cmd.id,
    cron: cmd.cron,
    tz: cmd.cron !== undefined ? (cmd.tz ?? DEFAULT_TZ) : undefined,
    everyMs: cmd.everyMs,
    missed: cmd.missed ?? 'run-once',
    task: cmd.task,
    paused: false,
    createdAt: cmd.now,
    anchor: cmd.now,
    nextAt: 0,
    lastFireAt: 0,
    lastTaskId: undefined,
    fires: 0,
    skipped: 0,
    owner: cmd.owner,
  };
  s.schedules.byName.set(r.name, r);
  arm(s, r, nextOccurrence(timingOf(r), cmd.now) ?? 0);
  s.emit({ type: 'schedule.created', schedule: r });
  return OK;
}

/**
 * Pause: no fires until resumed. Resume: the next fire is the first occurrence after the
 * resume (an interval counts again from it); what fell due while paused is not made up.
 */
function setPaused(s: CoreState, name: string, paused: boolean, now: number): CommandResult {
  const r = s.schedules.byName.get(name);
  if (!r) return notFound(name);
  if (r.paused === paused) return OK;
  r.paused = paused;
  if (paused) r.nextAt = 0;
  else {
    r.anchor = now;
    arm(s, r, nextOccurrence(timingOf(r), Math.max(now, r.lastFireAt)) ?? 0);
  }
  s.emit({ type: paused ? 'schedule.paused' : 'schedule.resumed', schedule: r });
  return OK;
}

/**
 * One fire: the task it makes (or its skip) and the schedule's next occurrence, together. An
 * occurrence at or before the last one fired is refused, so no record, however replayed,
 * makes a second task for it.
 */
function applyFire(s: CoreState, cmd: Fire): CommandResult {
  const r = s.schedules.byName.get(cmd.name);
  if (!r) return notFound(cmd.name);
  if (cmd.at <= r.lastFireAt)
    return fail(ErrorCode.INVALID_STATE, `schedule ${r.name} already fired for ${cmd.at}`);
  if (cmd.taskId !== undefined) {
    const made = submit(s, {
      type: 'task.submit',
      now: cmd.now,
      tasks: [{ id: cmd.taskId, spec: r.task }],
    });
    if (!made.ok) return made;
    r.fires++;
    r.lastTaskId = cmd.taskId;
  } else {
    r.skipped++;
    r.lastTaskId = undefined;
  }
  r.lastFireAt = cmd.at;
  arm(s, r, cmd.nextAt);
  s.emit({
    type: 'schedule.fired',
    schedule: r,
    at: cmd.at,
    taskId: cmd.taskId,
    missed: cmd.missed === true,
  });
  return OK;
}

/**
 * A schedule's wakeup is due (tick). `id` and `at` tell a wakeup of a removed, re-created,
 * paused or already fired schedule from the current one.
 */
export function scheduleDue(s: CoreState, name: string, id: string, at: number, now: number): void {
  const r = s.schedules.byName.get(name);
  if (!r || r.id !== id || r.paused || r.nextAt !== at) return;
  fire(s, r, now, now - at > MISSED_AFTER_MS);
}

/**
 * After recovery: an occurrence that fell due while no hub ran is missed, whatever its
 * lateness. Each such schedule fires once (run-once) or skips (skip) now.
 */
export function recoverSchedules(s: CoreState, now: number): void {
  for (const r of s.schedules.byName.values()) {
    if (!r.paused && r.nextAt !== 0 && r.nextAt <= now) fire(s, r, now, true);
  }
}

/**
 * Fire the due occurrence `r.nextAt`. However many occurrences passed since (a late hub, a
 * clock jump), this is one fire, and the next is the first occurrence after `now`: a
 * schedule never makes a burst of catch-up tasks.
 */
function fire(s: CoreState, r: ScheduleRecord, now: number, missed: boolean): void {
  const at = r.nextAt;
  const cmd: Fire = {
    type: 'schedule.fire',
    now,
    name: r.name,
    at,
    nextAt: nextOccurrence(timingOf(r), Math.max(now, at)) ?? 0,
  };
  if (!missed || r.missed === 'run-once') cmd.taskId = `${r.id}.${at.toString(36)}`;
  if (missed) cmd.missed = true;
  // Journaled before it is applied: the leases its task's dispatch makes must follow it.
  s.journal(cmd);
  applyFire(s, cmd);
}

function arm(s: CoreState, r: ScheduleRecord, nextAt: number): void {
  r.nextAt = r.paused ? 0 : nextAt;
  if (r.nextAt !== 0)
    s.wakeups.at(r.nextAt, { kind: 'schedule', name: r.name, id: r.id, at: r.nextAt });
}

function notFound(name: string): CommandResult {
  return fail(ErrorCode.SCHEDULE_NOT_FOUND, `no schedule ${name}`);
}
