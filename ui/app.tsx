import { useEffect, useState } from 'preact/hooks';
import type { WhoamiJson } from '../protocol/rest-types.js';
import { api, hasToken, signOut } from './api-client.js';
import { LiveBadge } from './components/live-badge.js';
import { SignIn } from './components/sign-in.js';
import { events } from './event-stream.js';
import { startMetrics, stopMetrics } from './metrics.js';
import { DeadLetters } from './pages/dead-letters.js';
import { Nodes } from './pages/nodes.js';
import { Overview } from './pages/overview.js';
import { Queues } from './pages/queues.js';
import { Schedules } from './pages/schedules.js';
import { TaskDetail } from './pages/task-detail.js';
import { Tasks } from './pages/tasks.js';
import { Workers } from './pages/workers.js';
import { Workspaces } from './pages/workspaces.js';
import { useRoute } from './route.js';

type Role = WhoamiJson['role'];
/** Pages and the least role whose token may read them (the hub refuses the rest anyway). */
const PAGES: { page: string; label: string; role: Role }[] = [
  { page: 'overview', label: 'overview', role: 'admin' },
  { page: 'queues', label: 'queues', role: 'admin' },
  { page: 'tasks', label: 'tasks', role: 'producer' },
  { page: 'dead', label: 'dead letters', role: 'admin' },
  { page: 'workers', label: 'workers', role: 'admin' },
  { page: 'nodes', label: 'nodes', role: 'admin' },
  { page: 'workspaces', label: 'workspaces', role: 'producer' },
  { page: 'schedules', label: 'schedules', role: 'producer' },
];
const RANK: Record<Role, number> = { worker: 0, producer: 1, admin: 2 };

export function App() {
  const [me, setMe] = useState<WhoamiJson>();
  const route = useRoute();
  useEffect(() => {
    if (hasToken()) api.whoami().then(setMe, () => signOut());
  }, []);
  useEffect(() => {
    // The event stream and the charts it feeds are for admins (GET /api/v1/events is admin-only).
    if (me?.role === 'admin') {
      events.start();
      startMetrics();
    }
    return () => (events.stop(), stopMetrics());
  }, [me]);
  if (!me) return <SignIn onDone={() => api.whoami().then(setMe)} />;
  const admin = me.role === 'admin';
  const mine = PAGES.filter((p) => RANK[me.role] >= RANK[p.role]);
  const page = mine.find((p) => p.page === route.page) ? route.page : mine[0]?.page;
  return (
    <>
      <button class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header>
        <nav aria-label="pages">
          {mine.map((p) => (
            <a
              key={p.page}
              href={`#/${p.page}`}
              aria-current={p.page === page ? 'page' : undefined}
            >
              {p.label}
            </a>
          ))}
        </nav>
        {admin && <LiveBadge />}
        <span class="who">
          {me.subject ?? 'token'} ({me.role})
        </span>
        <button onClick={() => (signOut(), setMe(undefined))}>Sign out</button>
      </header>
      <main id="main" tabIndex={-1}>
        {page === undefined ? (
          <p>This token's role ({me.role}) may not read hub state.</p>
        ) : page === 'overview' ? (
          <Overview />
        ) : page === 'queues' ? (
          <Queues admin={admin} />
        ) : page === 'tasks' && route.arg !== undefined ? (
          <TaskDetail id={route.arg} me={me} />
        ) : page === 'tasks' ? (
          <Tasks route={route} />
        ) : page === 'dead' ? (
          <DeadLetters admin={admin} route={route} />
        ) : page === 'workers' ? (
          <Workers admin={admin} />
        ) : page === 'nodes' ? (
          <Nodes />
        ) : page === 'workspaces' ? (
          <Workspaces />
        ) : (
          <Schedules />
        )}
      </main>
    </>
  );
}
