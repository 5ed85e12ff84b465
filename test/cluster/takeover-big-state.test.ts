import t from 'tap';
import { Producer } from '../../index.js';
import { startCluster } from '../helpers/cluster.js';
import { requireTool } from '../helpers/requires.js';

/**
 * SIGKILL of the leader while it holds a big state (200,000 queued tasks, ~25 MB of
 * snapshot): the other hub takes the lease, loads the snapshot and the log after it, and the
 * cluster answers submits again. The bound is 5 s; the time measured and where it
 * went (the successor's own log lines) are reported as comments.
 */
const TASKS = Number(process.env.SWITCHBOARD_TAKEOVER_TASKS ?? 200_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (requireTool('redis')) {
  t.test(
    `the cluster serves submits again within 5 s of a leader SIGKILL at ${TASKS} queued tasks`,
    { timeout: 600_000 },
    async (t) => {
      const c = await startCluster(t, 2, {
        SWITCHBOARD_LOG_LEVEL: 'info',
        SWITCHBOARD_LOG_PRETTY: 'false',
      });
      await c.start(0);
      await c.leader();
      await c.start(1);
      const lead = await c.leader();
      const other = 1 - lead;
      const url = [c.hubs[lead]!.wsUrl, c.hubs[other]!.wsUrl];
      const producer = new Producer({
        url,
        reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
        connectTimeoutMs: 1000,
      });
      producer.on('error', () => undefined);
      t.teardown(() => producer.close());

      // The state: queued tasks, never run (no worker), each with a small payload.
      const fillStart = Date.now();
      let n = 0;
      while (n < TASKS) {
        const batch = Array.from({ length: Math.min(1000, TASKS - n) }, () => ({
          queue: `big-${n % 4}`,
          payload: { n: n++, body: 'x'.repeat(20) },
        }));
        await producer.submitMany(batch);
      }
      const fillMs = Date.now() - fillStart;
      // Let a compaction fold the fill into a snapshot (the usual case: the log after the
      // snapshot is short against it), then some more tasks in the log after it.
      const snapshotKey = `{sb:${c.prefix}}:snapshot`;
      let covers = 0;
      for (let i = 0; i < 600 && covers < TASKS / 1000; i++) {
        covers = Number(await c.redis.hget(snapshotKey, 'covers'));
        if (covers < TASKS / 1000) await sleep(100);
      }
      const snapshotBytes = Number(await c.redis.hget(snapshotKey, 'bytes'));
      await producer.submitMany(
        Array.from({ length: 1000 }, (_, i) => ({ queue: 'big-tail', payload: { i } })),
      );

      // Submits keep going while the leader is killed; time to serve again is from the kill
      // to the ack of the first submit sent after it.
      const acks: { sentAt: number; ackedAt: number }[] = [];
      let running = true;
      const submitter = (async () => {
        while (running) {
          const sentAt = Date.now();
          try {
            await producer.submit('big-after', { sentAt });
            acks.push({ sentAt, ackedAt: Date.now() });
          } catch {
            await sleep(10);
          }
        }
      })();
      await sleep(300);
      const killedAt = Date.now();
      c.children[lead]!.proc.kill('SIGKILL');
      await c.children[lead]!.exited;
      for (let i = 0; i < 600 && !acks.some((a) => a.sentAt >= killedAt); i++) await sleep(50);
      running = false;
      await submitter;
      const next = acks.find((a) => a.sentAt >= killedAt);
      const serveAgainMs = next ? next.ackedAt - killedAt : Infinity;

      // Where the successor's time went, from its own log lines.
      const lines = c.children[other]!.output().split('\n');
      const line = (msg: string): Record<string, unknown> | undefined => {
        const l = lines.find((x) => x.includes(msg));
        return l ? (JSON.parse(l.slice(l.indexOf('{'))) as Record<string, unknown>) : undefined;
      };
      const opened = line('the Redis engine log is open');
      const recovered = line('state recovered');
      const leads = line('cluster: this hub leads');
      t.comment(
        `${TASKS} queued tasks (filled in ${fillMs} ms), snapshot ${(snapshotBytes / 1e6).toFixed(1)} MB covering ${covers} records; ` +
          `served submits again ${serveAgainMs} ms after the SIGKILL (lease 1000 ms)`,
      );
      t.comment(
        `successor: warm standby ${String(opened?.warm)}, store open ${JSON.stringify(opened?.ms)}, log records ${String(opened?.records)}; ` +
          `core restore + replay ${String(recovered?.ms)} ms; takeover steps ${JSON.stringify(leads?.takeover)}`,
      );
      t.ok(snapshotBytes > 0, 'a snapshot held the state when the leader died');
      const ackedBefore = TASKS + 1000 + acks.filter((a) => a.ackedAt < killedAt).length;
      t.ok(
        Number(recovered?.tasks) >= ackedBefore,
        `the successor recovered every task acknowledged before the kill (${String(recovered?.tasks)} of ${ackedBefore})`,
      );
      t.ok(serveAgainMs < 5000, `the cluster served submits again within 5 s (${serveAgainMs} ms)`);
    },
  );
}
