import { Federation, type StoredSummary } from './federation.js';

/**
 * A summary as written to a snapshot: its fact ids as the bytes of a little-endian
 * Uint32Array (4 bytes a hash; as strings they would be ~66), optional fields absent.
 */
export interface SnapshotSummary {
  agentId: string;
  timestamp: string;
  at: number;
  receivedAt: number;
  pushedBy: string;
  topics: [string, number][];
  facts: Uint8Array;
  memoryTypes?: string[];
  metadata?: Record<string, unknown>;
}

export interface FederationSnapshot {
  name: string;
  /** The federation's FactTable, id → hash (null: a free id). */
  hashes: (string | null)[];
  /** In push order. */
  agents: SnapshotSummary[];
}

/**
 * Every federation of the hub, by name. A federation exists while it holds a summary:
 * forgetting its last agent removes it (a key may still name it; its next push recreates it).
 */
export class Federations {
  private readonly byName = new Map<string, Federation>();
  /** Topic counts and fact hashes held over every federation (`federation.maxStoredItems`). */
  items = 0;

  /** @param seed for each federation's fact table (CoreOptions.hashSeed). */
  constructor(private readonly seed = 0) {}

  get size(): number {
    return this.byName.size;
  }

  /** Stored summaries over every federation. */
  summaries(): number {
    let n = 0;
    for (const f of this.byName.values()) n += f.agents.size;
    return n;
  }

  /** Slots of the fact tables (held hashes and free ids): what their snapshot copies. */
  hashSlots(): number {
    let n = 0;
    for (const f of this.byName.values()) n += f.facts.slots;
    return n;
  }

  get(name: string): Federation | undefined {
    return this.byName.get(name);
  }

  /** The federation of this name, created empty if there is none. */
  open(name: string): Federation {
    let f = this.byName.get(name);
    if (!f) this.byName.set(name, (f = new Federation(name, this.seed)));
    return f;
  }

  /** Drop a federation that holds nothing any more. */
  closeIfEmpty(f: Federation): void {
    if (f.agents.size === 0 && this.byName.get(f.name) === f) this.byName.delete(f.name);
  }

  /** Drop a federation with everything it holds. */
  remove(f: Federation): void {
    if (this.byName.get(f.name) !== f) return;
    this.byName.delete(f.name);
    this.items -= f.items;
  }

  values(): IterableIterator<Federation> {
    return this.byName.values();
  }

  snapshot(): FederationSnapshot[] {
    const out: FederationSnapshot[] = [];
    for (const f of this.byName.values()) {
      const agents: SnapshotSummary[] = [];
      // The records are never changed in place (a re-push replaces them), and their fact
      // arrays neither: the snapshot may share them.
      for (const s of f.agents.values()) agents.push(snapshotSummary(s));
      out.push({ name: f.name, hashes: f.facts.snapshot(), agents });
    }
    return out;
  }

  restore(snap: readonly FederationSnapshot[] | undefined): void {
    if (!snap) return;
    for (const fs of snap) {
      const f = this.open(fs.name);
      f.facts.restore(fs.hashes);
      for (const raw of fs.agents) f.adopt(fromSnapshot(raw));
      f.facts.settle();
      this.items += f.items;
      this.closeIfEmpty(f);
    }
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function idsToBytes(ids: Uint32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength);
  const out = new Uint8Array(ids.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < ids.length; i++) view.setUint32(i * 4, ids[i]!, true);
  return out;
}

function bytesToIds(bytes: Uint8Array): Uint32Array {
  const n = bytes.byteLength >>> 2;
  if (LITTLE_ENDIAN) {
    // Copied: a decoded bin is a view into the whole snapshot buffer, at any alignment (and a
    // Buffer's slice() is such a view too, not a copy).
    const out = new Uint32Array(n);
    new Uint8Array(out.buffer).set(bytes.subarray(0, n * 4));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getUint32(i * 4, true);
  return out;
}

function snapshotSummary(s: StoredSummary): SnapshotSummary {
  const out: SnapshotSummary = {
    agentId: s.agentId,
    timestamp: s.timestamp,
    at: s.at,
    receivedAt: s.receivedAt,
    pushedBy: s.pushedBy,
    topics: s.topics as [string, number][],
    facts: idsToBytes(s.facts),
  };
  if (s.memoryTypes !== undefined) out.memoryTypes = s.memoryTypes as string[];
  if (s.metadata !== undefined) out.metadata = s.metadata as Record<string, unknown>;
  return out;
}

function fromSnapshot(raw: SnapshotSummary): StoredSummary {
  return {
    agentId: raw.agentId,
    timestamp: raw.timestamp,
    at: raw.at,
    receivedAt: raw.receivedAt,
    pushedBy: raw.pushedBy,
    topics: raw.topics,
    facts: bytesToIds(raw.facts),
    memoryTypes: raw.memoryTypes ?? undefined,
    metadata: raw.metadata ?? undefined,
  };
}
