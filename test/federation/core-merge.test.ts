import t from 'tap';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import {
  Core,
  replay,
  type Command,
  type SortedStrings,
  type SummaryInput,
} from '../../server/core/index.js';

/**
 * The merged view kept incrementally must always equal the reference coordinator's
 * recompute-on-pull over the latest summary of each agent (which is what Switchboard
 * promises: the reference itself sums every push ever made), through pushes, re-pushes,
 * forgets, snapshots and replays.
 */

type Op =
  | {
      k: 'push';
      fed: string;
      agent: string;
      topics: Record<string, number>;
      hashes: string[];
      at: number;
      /** Hand the hex hashes to the core as bytes, as the HTTP route does (packedHashes). */
      pack?: boolean;
    }
  | { k: 'forget'; fed: string; agent?: string };

/** The reference's pull (memvcs/coordinator/server.py), over one summary per agent. */
function recompute(latest: Map<string, SummaryInput>): {
  topics: [string, number][];
  hashes: string[];
  agents: number;
} {
  const topics = new Map<string, number>();
  const hashes = new Set<string>();
  for (const s of latest.values()) {
    for (const [k, v] of Object.entries(s.topicCounts)) topics.set(k, (topics.get(k) ?? 0) + v);
    for (const h of hashesOf(s)) hashes.add(h);
  }
  return {
    topics: [...topics].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    hashes: [...hashes].sort(),
    agents: latest.size,
  };
}

/** SHA-256 hex (agmem's), which the route hands over as bytes, and other strings, which it does not. */
const HEX = Array.from({ length: 6 }, (_, i) => `${'0123456789abcdef'[i * 3]!}${i}`.repeat(32));
const hash = fc.constantFrom(
  ...Array.from({ length: 12 }, (_, i) => `h${i.toString(16)}`),
  ...HEX,
  // 64 characters, not lowercase hex: a string for the core, never bytes.
  'A'.repeat(64),
  `${'ab'.repeat(31)}zz`,
);

const isHex = (h: string): boolean => /^[0-9a-f]{64}$/.test(h);
const topic = fc.constantFrom('episodic', 'semantic', 'project-context', 'user-preferences');
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      k: fc.constant('push' as const),
      fed: fc.constantFrom('a', 'b'),
      agent: fc.constantFrom('x', 'y', 'z', 'w'),
      topics: fc.dictionary(topic, fc.nat(20), { maxKeys: 3 }),
      hashes: fc.array(hash, { maxLength: 8 }),
      at: fc.integer({ min: 1_700_000_000_000, max: 1_700_000_100_000 }),
      pack: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        k: fc.constant('forget' as const),
        fed: fc.constantFrom('a', 'b'),
        agent: fc.constantFrom('x', 'y'),
      },
      { requiredKeys: ['k', 'fed'] },
    ),
  },
);

function command(o: Op, now: number): Command {
  if (o.k === 'forget')
    return {
      type: 'federation.forget',
      now,
      federation: o.fed,
      ...(o.agent === undefined ? {} : { agentId: o.agent }),
    };
  return {
    type: 'federation.push',
    now,
    federation: o.fed,
    by: 'key:k1',
    summary: {
      agentId: o.agent,
      timestamp: new Date(o.at).toISOString(),
      at: o.at,
      topicCounts: o.topics,
      ...(o.pack
        ? {
            factHashes: o.hashes.filter((h) => !isHex(h)),
            packedHashes: Buffer.concat(o.hashes.filter(isHex).map((h) => Buffer.from(h, 'hex'))),
          }
        : { factHashes: o.hashes }),
    },
  };
}

/** The hashes a push command names, however it carries them. */
function hashesOf(s: SummaryInput): string[] {
  const packed = s.packedHashes ?? new Uint8Array(0);
  const out = [...s.factHashes];
  for (let i = 0; i < packed.length; i += 32)
    out.push(Buffer.from(packed.subarray(i, i + 32)).toString('hex'));
  return out;
}

const packr = new Packr({ useRecords: false, moreTypes: false });

const list = (s: SortedStrings): string[] => s.chunks().flatMap((c) => c.items);
/** Each chunk's identity and version: what the pull's JSON cache keys on. */
const versions = (s: SortedStrings) => s.chunks().map((c) => [c, c.version] as const);

function views(core: Core, fed: string) {
  const f = core.federations.get(fed);
  if (!f) return { topics: [], hashes: [], agents: 0 };
  const m = f.merged();
  return { topics: m.topics.map(([k, v]) => [k, v]), hashes: list(m.hashes), agents: m.agents };
}

t.test('the incremental merge equals a recompute after every command', async (t) => {
  fc.assert(
    fc.property(
      fc.array(op, { maxLength: 60 }),
      fc.integer({ min: 0, max: 60 }),
      fc.integer({ min: 0, max: 60 }),
      fc.nat(),
      (ops, pullEvery, restoreAt, seed) => {
        // Each core its own hash seed: where a hash sits in a table must change no result.
        let core = new Core({ hashSeed: seed });
        const latest = new Map<string, Map<string, SummaryInput>>([
          ['a', new Map()],
          ['b', new Map()],
        ]);
        const journal: object[] = [];
        ops.forEach((o, i) => {
          // Part way through, go on from a snapshot written through the on-disk codec: the
          // restored state must keep working, not only read back.
          if (i === restoreAt)
            core = Core.restore(packr.unpack(packr.pack(core.snapshot())), { hashSeed: seed + 1 });
          const cmd = command(o, 1000 + i);
          if (!core.apply(cmd).ok) throw new Error('refused');
          journal.push(...core.takeEffects().journal);
          const m = latest.get(o.fed)!;
          if (o.k === 'push') {
            m.delete(o.agent);
            m.set(o.agent, (cmd as { summary: SummaryInput }).summary);
          } else if (o.agent === undefined) m.clear();
          else m.delete(o.agent);
          // Pull at some points only, so changes pile up between two pulls as well.
          if (pullEvery === 0 || i % pullEvery === 0) {
            for (const fed of ['a', 'b']) {
              const want = recompute(latest.get(fed)!);
              const got = views(core, fed);
              if (JSON.stringify(got) !== JSON.stringify(want))
                throw new Error(`after op ${i}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
            }
          }
        });
        // Replay of the journal, and a snapshot, give the same state.
        // (msgpack hands packed hashes back as views into the record, at any offset.)
        const replayed = new Core({ hashSeed: seed ^ 0x5bd1e995 });
        for (const r of packr.unpack(packr.pack(journal)) as object[]) replayed.apply(r as Command);
        const restored = Core.restore(packr.unpack(packr.pack(core.snapshot())));
        for (const fed of ['a', 'b']) {
          const want = JSON.stringify(recompute(latest.get(fed)!));
          if (JSON.stringify(views(core, fed)) !== want) throw new Error('live differs');
          if (JSON.stringify(views(replayed, fed)) !== want) throw new Error('replay differs');
          if (JSON.stringify(views(restored, fed)) !== want) throw new Error('restore differs');
        }
        for (const c of [replayed, restored])
          if (c.federations.items !== core.federations.items) throw new Error('items differ');
        return true;
      },
    ),
    { numRuns: 300 },
  );
  t.pass('300 random histories');
});

t.test('a summary names a hash once however often it lists it; counts 0 still show', async (t) => {
  const core = new Core();
  core.apply(
    command(
      {
        k: 'push',
        fed: 'a',
        agent: 'x',
        topics: { idle: 0, b: 2 },
        hashes: ['h1', 'h1', 'h2'],
        at: 5,
      },
      1,
    ),
  );
  const f = core.federations.get('a')!;
  t.same(list(f.merged().hashes), ['h1', 'h2']);
  t.same(f.merged().topics, [
    ['b', 2],
    ['idle', 0],
  ]);
  t.equal(f.agents.get('x')!.facts.length, 2);
});

t.test('a hex hash is one hash whether it comes as bytes or as a string', async (t) => {
  const core = new Core({ hashSeed: 7 });
  const h = HEX[0]!;
  const g = HEX[1]!;
  // Bytes at an odd offset, as msgpack hands a journaled push back.
  const bytes = Buffer.concat([Buffer.from([0]), Buffer.from(h + g + h, 'hex')]).subarray(1);
  const push = (agent: string, factHashes: string[], packedHashes?: Uint8Array) =>
    core.apply({
      type: 'federation.push',
      now: 1,
      federation: 'a',
      by: 'key:k1',
      summary: {
        agentId: agent,
        timestamp: '2026-02-01T12:00:00Z',
        at: 5,
        topicCounts: {},
        factHashes,
        ...(packedHashes ? { packedHashes } : {}),
      },
    });
  push('x', [h, 'short'], bytes);
  const f = core.federations.get('a')!;
  t.same(list(f.merged().hashes), [h, g, 'short'].sort(), 'each once, bytes shown as hex');
  t.equal(f.agents.get('x')!.facts.length, 3, 'x holds three distinct hashes');
  push('y', [g]);
  t.equal(f.facts.size, 3, 'the string from y is the hash x gave as bytes');
  push('x', ['short']);
  t.same(list(f.merged().hashes), [g, 'short'].sort(), 'h went with x, g stays with y');
  push('y', []);
  t.same(list(f.merged().hashes), ['short']);
});

t.test('an unchanged re-push changes no chunk (what the pull caches by)', async (t) => {
  const core = new Core();
  const push = (hashes: string[], at: number) =>
    core.apply(command({ k: 'push', fed: 'a', agent: 'x', topics: { t: at }, hashes, at }, at));
  push(['b', 'a'], 1);
  const f = core.federations.get('a')!;
  const first = versions(f.merged().hashes);
  push(['a', 'b'], 2);
  t.ok(
    versions(f.merged().hashes).every(([c, v], i) => c === first[i]![0] && v === first[i]![1]),
    'the very same chunk objects, at the same versions',
  );
  t.same(f.merged().topics, [['t', 2]], 'topic totals replaced, not summed');
  push(['a', 'c'], 3);
  t.not(f.merged().hashes.chunks()[0]!.version, first[0]![1]);
  t.same(list(f.merged().hashes), ['a', 'c']);
});

t.test('newest summary and since', async (t) => {
  const core = new Core();
  const push = (agent: string, at: number, hashes: string[]) =>
    core.apply(command({ k: 'push', fed: 'a', agent, topics: { t: 1 }, hashes, at }, at));
  push('x', 100, ['h1']);
  push('y', 300, ['h2']);
  push('z', 200, ['h3']);
  const f = core.federations.get('a')!;
  t.equal(f.newestSummary()!.agentId, 'y');
  const since = f.mergedSince(150);
  t.same(list(since.hashes), ['h2', 'h3']);
  t.equal(since.agents, 2);
  t.same(since.topics, [['t', 2]]);
  push('y', 50, ['h2']);
  t.equal(f.newestSummary()!.agentId, 'z', 'the newest was replaced by an older one: found again');
});

t.test('replay through replay() and a forget of the whole federation', async (t) => {
  const core = new Core();
  const journal: object[] = [];
  for (let i = 0; i < 5; i++) {
    core.apply(
      command(
        { k: 'push', fed: 'a', agent: `a${i}`, topics: { t: 1 }, hashes: [`h${i}`], at: i },
        i,
      ),
    );
    journal.push(...core.takeEffects().journal);
  }
  t.equal(core.apply({ type: 'federation.forget', now: 9, federation: 'a' }).ok, true);
  journal.push(...core.takeEffects().journal);
  t.equal(core.federations.get('a'), undefined);
  t.equal(core.federations.items, 0);
  const again = new Core();
  await replay(again, journal);
  t.equal(again.federations.size, 0);
});

t.test('a bulk load, a forget and a re-push keep the chunks sorted and complete', async (t) => {
  const core = new Core();
  const f = () => core.federations.get('a')!;
  const hashes = (agent: number) => Array.from({ length: 10_000 }, (_, i) => `${agent}-${i}`);
  core.apply(
    command({ k: 'push', fed: 'a', agent: 'a0', topics: {}, hashes: hashes(0), at: 1 }, 1),
  );
  t.equal(f().merged().hashes.size, 10_000);
  for (let a = 1; a < 9; a++)
    core.apply(
      command({ k: 'push', fed: 'a', agent: `a${a}`, topics: {}, hashes: hashes(a), at: 1 }, 1),
    );
  core.apply(command({ k: 'forget', fed: 'a', agent: 'a3' }, 2));
  const all = Array.from({ length: 9 }, (_, a) => (a === 3 ? [] : hashes(a)))
    .flat()
    .sort();
  t.same(list(f().merged().hashes), all);
  core.apply(
    command({ k: 'push', fed: 'a', agent: 'a4', topics: {}, hashes: ['zz', '4-1'], at: 3 }, 3),
  );
  const next = all
    .filter((h) => !h.startsWith('4-') || h === '4-1')
    .concat('zz')
    .sort();
  t.same(list(f().merged().hashes), next);
});
