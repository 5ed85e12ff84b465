import { randomBytes } from 'node:crypto';

/**
 * Task ids: a random per-process prefix plus a counter. Unique across restarts without
 * coordination (the prefix changes), short on the wire, and cheap to make on the hot path.
 */
export class IdGenerator {
  private readonly prefix: string;
  private counter = 0;

  constructor(prefix?: string) {
    this.prefix = prefix ?? randomBytes(5).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6);
  }

  next(): string {
    return `${this.prefix}-${(++this.counter).toString(36)}`;
  }
}
