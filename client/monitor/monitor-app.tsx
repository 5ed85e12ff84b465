import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { useEffect, useRef, useState } from 'react';
import type { HubPoller, PollerStatus } from './hub-poller.js';
import type { MonitorSnapshot } from './monitor-data.js';
import {
  failureLines,
  headerLines,
  queueLines,
  scheduleLines,
  waitingLines,
  waitingTitle,
  workerLines,
} from './render-text.js';

const VIEWS = ['overview', 'queues', 'workers', 'failures'] as const;
type View = (typeof VIEWS)[number] | 'detail';

function useSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const [size, setSize] = useState({ columns: stdout.columns || 120, rows: stdout.rows || 40 });
  useEffect(() => {
    const onResize = (): void =>
      setSize({ columns: stdout.columns || 120, rows: stdout.rows || 40 });
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

function Lines({
  lines,
  selected,
  offset = 0,
}: {
  lines: string[];
  selected?: number;
  offset?: number;
}) {
  return (
    <Box flexDirection="column">
      {lines.map((l, i) => (
        <Text
          key={i}
          inverse={selected !== undefined && i === selected + offset}
          bold={i === 0 && offset === 1}
        >
          {l || ' '}
        </Text>
      ))}
    </Box>
  );
}

/** The live dashboard. Data comes from the poller; this only draws and handles keys. */
export function MonitorApp({ poller }: { poller: HubPoller }) {
  const { exit } = useApp();
  const { columns, rows } = useSize();
  const [snap, setSnap] = useState<MonitorSnapshot | undefined>(poller.snapshot);
  const [status, setStatus] = useState<PollerStatus>(poller.status);
  const [view, setView] = useState<View>('overview');
  const [paused, setPaused] = useState(false);
  const [filter, setFilter] = useState('');
  const [typing, setTypingState] = useState(false);
  // Keys can arrive faster than React re-renders ("/" then "gam" in one loop turn): the
  // input handler reads the mode from a ref, which is current, not from the last render.
  const typingRef = useRef(false);
  const setTyping = (on: boolean): void => {
    typingRef.current = on;
    setTypingState(on);
  };
  const [selected, setSelected] = useState(0);
  const [detail, setDetail] = useState<string>('');

  useEffect(() => {
    const onUpdate = (s: MonitorSnapshot): void => setSnap(s);
    const onStatus = (s: PollerStatus): void => setStatus(s);
    poller.on('update', onUpdate);
    poller.on('status', onStatus);
    return () => {
      poller.off('update', onUpdate);
      poller.off('status', onStatus);
    };
  }, [poller]);

  const matches = (q: string): boolean => !filter || q.includes(filter);
  const queues = (snap?.queues ?? []).filter((q) => matches(q.name));
  const workers = (snap?.workers ?? []).filter((w) => !filter || w.queues.some(matches));
  const failures = (snap?.failures ?? []).filter((f) => matches(f.queue));

  const openDetail = async (taskId: string | undefined): Promise<void> => {
    if (!taskId) return;
    setView('detail');
    setDetail(`loading ${taskId}…`);
    try {
      setDetail(JSON.stringify(await poller.task(taskId), null, 2));
    } catch (err) {
      setDetail(`cannot load ${taskId}: ${(err as Error).message}`);
    }
  };

  useInput((input, key) => {
    if (typingRef.current) {
      if (key.return || key.escape) setTyping(false);
      else if (key.backspace || key.delete) setFilter((f) => f.slice(0, -1));
      else if (input) setFilter((f) => f + input);
      return;
    }
    if (input === 'q') {
      poller.stop();
      exit();
      return;
    }
    if (key.escape) {
      if (view === 'detail') setView('failures');
      else setFilter('');
      return;
    }
    if (input.startsWith('/')) {
      setTyping(true);
      setFilter(input.slice(1));
      return;
    }
    if (input === 'p') {
      poller.paused = !poller.paused;
      setPaused(poller.paused);
      return;
    }
    const n = Number(input);
    if (n >= 1 && n <= 4) {
      setView(VIEWS[n - 1]!);
      setSelected(0);
      return;
    }
    if (key.tab) {
      const i = VIEWS.indexOf(view as (typeof VIEWS)[number]);
      setView(VIEWS[(i + 1) % VIEWS.length]!);
      setSelected(0);
      return;
    }
    if (key.upArrow) setSelected((s) => Math.max(0, s - 1));
    if (key.downArrow) setSelected((s) => s + 1);
    if (key.return) {
      if (view === 'failures') void openDetail(failures[selected]?.taskId);
      if (view === 'workers') void openDetail(workers[selected]?.running[0]);
    }
  });

  const width = Math.max(40, columns - 1);
  const body = Math.max(5, rows - 4);
  let content: string[];
  let sel: number | undefined;
  if (!snap) content = [`connecting to ${poller.url}…`];
  else if (view === 'overview') {
    const half = Math.max(3, Math.floor((body - 8) / 3));
    content = [
      ...headerLines(snap, width),
      '',
      `QUEUES (${queues.length})`,
      ...queueLines(queues, width).slice(0, half + 1),
      '',
      `WORKERS (${workers.length})`,
      ...workerLines(workers, width).slice(0, half + 1),
      '',
      `RECENT FAILURES (${failures.length})`,
      ...failureLines({ ...snap, failures }, width).slice(0, half + 1),
    ];
  } else if (view === 'queues') {
    const schedules = snap.schedules.filter((s) => matches(s.task.queue));
    content = [
      `QUEUES (${queues.length})`,
      ...queueLines(queues, width),
      '',
      `SCHEDULES (${schedules.length})`,
      ...scheduleLines(schedules, width),
      '',
      waitingTitle(snap),
      ...waitingLines(
        snap.waitingParents.filter((p) => matches(p.queue)),
        width,
      ),
    ];
  } else if (view === 'workers') {
    content = [
      `WORKERS (${workers.length}) — Enter: detail of its running task`,
      ...workerLines(workers, width),
    ];
    sel = Math.min(selected, Math.max(0, workers.length - 1)) + 1;
  } else if (view === 'failures') {
    content = [
      `FAILURES (${failures.length}) — Enter: task detail`,
      ...failureLines({ ...snap, failures }, width),
    ];
    sel = Math.min(selected, Math.max(0, failures.length - 1)) + 1;
  } else content = ['TASK DETAIL — Esc: back', ...detail.split('\n')];
  content = content.slice(0, body);

  const banner =
    status.type === 'reconnecting'
      ? `hub unreachable — reconnecting (attempt ${status.attempt}, ${Math.round((Date.now() - status.since) / 1000)}s): ${status.error}`
      : paused
        ? 'PAUSED — press p to resume'
        : '';
  return (
    <Box flexDirection="column" width={width}>
      <Text color={status.type === 'reconnecting' ? 'red' : 'yellow'}>{banner || ' '}</Text>
      <Lines lines={content} {...(sel === undefined ? {} : { selected: sel })} />
      <Text dimColor wrap="truncate-end">
        {typing
          ? `filter by queue: ${filter}▏ (Enter to apply, Esc to stop)`
          : `[1] overview [2] queues [3] workers [4] failures · Tab · / filter${filter ? ` (${filter})` : ''} · p ${paused ? 'resume' : 'pause'} · ↑↓ Enter detail · Esc · q quit`}
      </Text>
    </Box>
  );
}
