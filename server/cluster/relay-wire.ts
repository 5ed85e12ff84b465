import { Packr } from 'msgpackr';

/**
 * The frames an edge hub and the leader exchange over Redis pub/sub, for the clients the
 * edge holds. One Redis message is one batch from one hub to another: `[from, seq, ops]`.
 * `seq` counts the batches of that direction from 1, so the receiver sees a lost batch (pub/sub
 * drops messages while a subscriber reconnects) and closes the connections it concerned
 * instead of letting a session continue with a hole in it.
 */
export const RelayOp = {
  /** edge → leader: a client connected. `[op, connId, remoteAddress, url]` */
  open: 1,
  /** Both ways: one WebSocket message. `[op, connId, bytes]` */
  frame: 2,
  /** Both ways: the connection ended (edge → leader) or must end (leader → edge). `[op, connId, code, reason]` */
  close: 3,
} as const;

export type RelayOpEntry =
  | [typeof RelayOp.open, string, string, string]
  | [typeof RelayOp.frame, string, Uint8Array]
  | [typeof RelayOp.close, string, number, string];

export interface RelayBatch {
  from: string;
  seq: number;
  ops: RelayOpEntry[];
}

// Plain msgpack, no records or extensions: the bytes are ours, but a relay that misreads
// one batch must not be able to do more than drop it.
const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });

export function encodeBatch(batch: RelayBatch): Buffer {
  return packr.pack([batch.from, batch.seq, batch.ops]);
}

/** The batch, or undefined when the bytes are not one (logged and dropped by the caller). */
export function decodeBatch(bytes: Buffer): RelayBatch | undefined {
  let raw: unknown;
  try {
    raw = packr.unpack(bytes);
  } catch {
    return undefined;
  }
  if (!Array.isArray(raw) || raw.length !== 3) return undefined;
  const [from, seq, ops] = raw as unknown[];
  if (typeof from !== 'string' || typeof seq !== 'number' || !Array.isArray(ops)) return undefined;
  for (const op of ops) if (!validOp(op)) return undefined;
  return { from, seq, ops: ops as RelayOpEntry[] };
}

function validOp(op: unknown): boolean {
  if (!Array.isArray(op) || typeof op[1] !== 'string') return false;
  switch (op[0]) {
    case RelayOp.open:
      return op.length === 4 && typeof op[2] === 'string' && typeof op[3] === 'string';
    case RelayOp.frame:
      return op.length === 3 && op[2] instanceof Uint8Array;
    case RelayOp.close:
      return op.length === 4 && typeof op[2] === 'number' && typeof op[3] === 'string';
    default:
      return false;
  }
}
