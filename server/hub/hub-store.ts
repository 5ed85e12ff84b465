/**
 * What the hub needs from persistence: append a journal record, learn when it is durable.
 * server/store implements it for memory, snapshot and WAL modes.
 */
export interface HubStore {
  /** Buffer one record; returns its sequence number. Cheap: called on the hot path. */
  append(record: object): number;
  /**
   * Throw now if `record` could not be appended (it cannot be encoded, the store has
   * failed). Called before the core applies a command, so a refused command changes nothing.
   */
  prepare?(record: object): void;
  /** `cb` runs once every record up to `seq` is durable, or with the error that lost it. */
  onDurable(seq: number, cb: (err?: Error) => void): void;
  /** Highest sequence number known durable. */
  readonly durableSeq: number;
  /**
   * False while the store cannot take records (Redis out of reach): the hub reports
   * not-ready and durable commands are refused. Absent = always available.
   */
  readonly available?: boolean;
}

/** Nothing on disk: every record is "durable" at once (development preset, tests). */
export class VolatileStore implements HubStore {
  private seq = 0;
  append(_record: object): number {
    this.durableSeqValue = ++this.seq;
    return this.seq;
  }
  onDurable(_seq: number, cb: (err?: Error) => void): void {
    cb();
  }
  private durableSeqValue = 0;
  get durableSeq(): number {
    return this.durableSeqValue;
  }
}
