/**
 * `switchboard dlq list|show|retry|purge` against a real hub: dead tasks made by a real
 * worker's failures, retried back to that worker, purged one by one and all at once.
 */
import { execFile } from 'node:child_process';
import t from 'tap';
import { Producer, UnrecoverableError, Worker } from '../../index.js';
import { cliCommand } from '../helpers/hub-process.js';
import { startTestHub } from '../helpers/hub.js';
import { sleep } from '../helpers/wait.js';

function cli(url: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const [cmd, argv] = cliCommand([...args, '--url', url], false);
  return new Promise((resolve) => {
    execFile(cmd, argv, { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr }),
    );
  });
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + 20_000;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

t.test('dlq: list, show, retry one and all, purge one and all, each saying how many', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  // Fails every task the first time it sees it (no retries: maxAttempts 1), then succeeds.
  const seen = new Map<string, number>();
  const worker = new Worker({ url: th.wsUrl, queues: ['mail'], concurrency: 8 }, async (task) => {
    const n = (seen.get(task.id) ?? 0) + 1;
    seen.set(task.id, n);
    if (n === 1)
      throw new UnrecoverableError(`smtp refused ${(task.payload as { to: string }).to}`);
    return 'sent';
  });
  await worker.start();
  const producer = new Producer({ url: th.wsUrl });
  t.teardown(async () => {
    await producer.close();
    await worker.close({ timeoutMs: 100 });
  });
  const ids: string[] = [];
  for (const to of ['a@x', 'b@x', 'c@x', 'd@x', 'e@x'])
    ids.push((await producer.submit('mail', { to }, { maxAttempts: 1 })).id);
  const url = th.httpUrl;
  await waitFor('five dead', async () => {
    const r = await cli(url, 'dlq', 'list', 'mail', '--json');
    return r.code === 0 && (JSON.parse(r.out) as unknown[]).length === 5;
  });

  const list = await cli(url, 'dlq', 'list', 'mail');
  t.equal(list.code, 0, list.err);
  for (const id of ids) t.match(list.out, id, `${id} listed`);
  t.match(list.out, /5 dead/);
  t.match(list.out, /smtp refused a@x/, 'with its error');

  const show = await cli(url, 'dlq', 'show', 'mail', ids[0]!);
  t.equal(show.code, 0, show.err);
  t.match(show.out, /dead after 1 of 1 attempts/);
  t.match(show.out, /payload {2}\{"to":"a@x"\}/);
  t.match(show.out, /#1 .* smtp refused a@x/, 'the failed attempt with its error');

  const neither = await cli(url, 'dlq', 'purge', 'mail');
  t.not(neither.code, 0, 'purge without an id or --all is refused');
  t.match(neither.err, /give a task id, or --all/);

  const one = await cli(url, 'dlq', 'retry', 'mail', ids[0]!);
  t.equal(one.code, 0, one.err);
  t.match(one.out, /retried 1 in mail/);
  await waitFor('the retried task ran again', async () => seen.get(ids[0]!) === 2);
  t.equal(await producer.result(ids[0]!), 'sent', 'and completed');

  const purgeOne = await cli(url, 'dlq', 'purge', 'mail', ids[1]!);
  t.equal(purgeOne.code, 0, purgeOne.err);
  t.match(purgeOne.out, /purged 1 from mail/);
  const missing = await cli(url, 'dlq', 'show', 'mail', ids[1]!);
  t.not(missing.code, 0, 'a purged task is gone');

  const all = await cli(url, 'dlq', 'retry', 'mail', '--all');
  t.equal(all.code, 0, all.err);
  t.match(all.out, /retried 3 in mail/, 'the three still dead');
  await waitFor('all three ran again', async () =>
    [ids[2], ids[3], ids[4]].every((id) => seen.get(id!) === 2),
  );
  const empty = await cli(url, 'dlq', 'list', 'mail');
  t.match(empty.out, /no dead tasks in mail/);

  // Dead again, then purged all at once.
  const more = await Promise.all(
    ['f@x', 'g@x'].map(
      async (to) => (await producer.submit('mail', { to }, { maxAttempts: 1 })).id,
    ),
  );
  await waitFor('two dead', async () => {
    const r = await cli(url, 'dlq', 'list', 'mail', '--json');
    return (JSON.parse(r.out) as unknown[]).length === 2;
  });
  const purgeAll = await cli(url, 'dlq', 'purge', 'mail', '--all');
  t.match(purgeAll.out, /purged 2 from mail/);
  t.equal(seen.get(more[0]!), 1, 'purged tasks never ran again');
});
