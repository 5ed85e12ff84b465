import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { QueueJson, TaskJson, WhoamiJson, WorkerJson } from '../protocol/rest-types.js';
import { api, ApiError, hasToken, signIn, signOut, type StatsJson } from './api-client.js';

type Page = 'overview' | 'queues' | 'dead' | 'workers';
const PAGES: Page[] = ['overview', 'queues', 'dead', 'workers'];
const pageOf = (): Page =>
  (PAGES as string[]).includes(location.hash.slice(2))
    ? (location.hash.slice(2) as Page)
    : 'overview';

/** A bounded summary poll (its size does not grow with the number of tasks). */
function usePoll<T>(
  load: () => Promise<T>,
  ms = 2000,
): [T | undefined, string | undefined, () => void] {
  const [data, setData] = useState<T>();
  const [err, setErr] = useState<string>();
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    const tick = () =>
      load().then(
        (d) => live && (setData(d), setErr(undefined)),
        (e: Error) => live && setErr(e.message),
      );
    tick();
    const t = setInterval(tick, ms);
    return () => ((live = false), clearInterval(t));
  }, [n]);
  return [data, err, () => setN(n + 1)];
}

function SignIn({ onDone }: { onDone: () => void }) {
  const [value, setValue] = useState('');
  const [err, setErr] = useState<string>();
  return (
    <form
      class="card signin"
      onSubmit={(e) => {
        e.preventDefault();
        signIn(value.trim());
        api.whoami().then(onDone, (x: Error) => (signOut(), setErr(x.message)));
      }}
    >
      <h1>Switchboard</h1>
      <label for="token">Token</label>
      <input
        id="token"
        type="password"
        autocomplete="off"
        value={value}
        onInput={(e) => setValue((e.target as HTMLInputElement).value)}
      />
      <button type="submit">Sign in</button>
      {err && (
        <p role="alert" class="error">
          {err}
        </p>
      )}
    </form>
  );
}

function Overview() {
  const [s, err] = usePoll<StatsJson>(api.stats);
  if (err) return <p class="error">{err}</p>;
  if (!s) return <p>Loading…</p>;
  return (
    <div class="grid">
      {Object.entries({ ...s.tasks, workers: s.workers }).map(([k, v]) => (
        <div class="card stat" data-stat={k} key={k}>
          <span>{k}</span>
          <strong>{v}</strong>
        </div>
      ))}
    </div>
  );
}

function Queues({ admin }: { admin: boolean }) {
  const [d, err, reload] = usePoll(api.queues);
  const act = async (what: string, f: () => Promise<unknown>) => {
    if (!confirm(what + '?')) return;
    try {
      await f();
    } catch (e) {
      alert((e as ApiError).message);
    }
    reload();
  };
  if (err) return <p class="error">{err}</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>queue</th>
          <th>critical</th>
          <th>high</th>
          <th>normal</th>
          <th>low</th>
          <th>delayed</th>
          <th>leased</th>
          <th>dead</th>
          <th>workers</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {(d?.queues ?? []).map((qu: QueueJson) => (
          <tr key={qu.name} data-queue={qu.name}>
            <td>
              {qu.name}
              {qu.paused && <em> paused</em>}
            </td>
            {['critical', 'high', 'normal', 'low'].map((p) => (
              <td key={p}>{qu.depth[p] ?? 0}</td>
            ))}
            <td>{qu.delayed}</td>
            <td>{qu.leased}</td>
            <td>{qu.dead}</td>
            <td>{qu.workers}</td>
            <td>
              {admin &&
                (qu.paused ? (
                  <button onClick={() => act(`Resume ${qu.name}`, () => api.resume(qu.name))}>
                    Resume
                  </button>
                ) : (
                  <button onClick={() => act(`Pause ${qu.name}`, () => api.pause(qu.name))}>
                    Pause
                  </button>
                ))}
              {admin && qu.dead > 0 && (
                <button
                  onClick={() =>
                    act(`Purge ${qu.dead} dead tasks of ${qu.name}`, () => api.purgeDead(qu.name))
                  }
                >
                  Purge dead
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DeadLetters({ admin }: { admin: boolean }) {
  const [d, err, reload] = usePoll(api.deadTasks);
  const retry = async (t: TaskJson) => {
    if (!confirm(`Retry task ${t.id} of ${t.queue}?`)) return;
    try {
      await api.retry(t.id);
    } catch (e) {
      alert((e as ApiError).message);
    }
    reload();
  };
  if (err) return <p class="error">{err}</p>;
  const tasks = d?.tasks ?? [];
  if (d && tasks.length === 0) return <p>No dead letters.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>task</th>
          <th>queue</th>
          <th>attempts</th>
          <th>error</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {tasks.map((t) => (
          <tr key={t.id} data-task={t.id}>
            <td>{t.id}</td>
            <td>{t.queue}</td>
            <td>
              {t.attempt}/{t.maxAttempts}
            </td>
            <td>{t.error ? `${t.error.code}: ${t.error.message}` : ''}</td>
            <td>{admin && <button onClick={() => retry(t)}>Retry</button>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Workers() {
  const [d, err] = usePoll(api.workers);
  if (err) return <p class="error">{err}</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>worker</th>
          <th>state</th>
          <th>queues</th>
          <th>running</th>
          <th>last seen</th>
          <th>done</th>
        </tr>
      </thead>
      <tbody>
        {(d?.workers ?? []).map((w: WorkerJson) => (
          <tr key={w.id}>
            <td>{w.name ?? w.id}</td>
            <td>{w.state}</td>
            <td>{w.queues.join(', ')}</td>
            <td>
              {w.running.length}/{w.concurrency}
            </td>
            <td>{new Date(w.lastSeen).toLocaleTimeString()}</td>
            <td>{w.completed}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function App() {
  const [me, setMe] = useState<WhoamiJson>();
  const [page, setPage] = useState(pageOf());
  useEffect(() => {
    const f = () => setPage(pageOf());
    addEventListener('hashchange', f);
    if (hasToken()) api.whoami().then(setMe, () => signOut());
    return () => removeEventListener('hashchange', f);
  }, []);
  if (!me) return <SignIn onDone={() => api.whoami().then(setMe)} />;
  const admin = me.role === 'admin';
  return (
    <>
      <header>
        <nav>
          {PAGES.map((p) => (
            <a key={p} href={`#/${p}`} aria-current={p === page ? 'page' : undefined}>
              {p}
            </a>
          ))}
        </nav>
        <span class="who">
          {me.subject ?? 'token'} ({me.role})
        </span>
        <button onClick={() => (signOut(), setMe(undefined))}>Sign out</button>
      </header>
      <main>
        {!admin && page !== 'overview' ? (
          <p>This token's role ({me.role}) may not read hub state.</p>
        ) : page === 'queues' ? (
          <Queues admin={admin} />
        ) : page === 'dead' ? (
          <DeadLetters admin={admin} />
        ) : page === 'workers' ? (
          <Workers />
        ) : admin ? (
          <Overview />
        ) : (
          <p>Signed in as {me.role}.</p>
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
