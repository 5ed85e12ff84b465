import type { PortRange } from './workspace-records.js';

/**
 * The ports held by workspaces, one owner each. Allocation happens inside one core command,
 * and the core applies commands one at a time, so two creates can never be handed the same
 * port, however many arrive at once; the range travels in the command, so replay hands out
 * the same ports even if the configured range has changed since.
 */
export class PortPool {
  private readonly owners = new Map<number, string>();

  /** The lowest free port of the range, now held by `owner`; undefined when all are taken. */
  allocate(range: PortRange, owner: string): number | undefined {
    // O(ports held) at worst: a range of a few thousand ports costs microseconds.
    for (let port = range.from; port <= range.to; port++) {
      if (!this.owners.has(port)) {
        this.owners.set(port, owner);
        return port;
      }
    }
    return undefined;
  }

  /** Restore: the port is held by `owner` (snapshots hold the workspaces, not the pool). */
  hold(port: number, owner: string): void {
    this.owners.set(port, owner);
  }

  release(port: number, owner: string): void {
    if (this.owners.get(port) === owner) this.owners.delete(port);
  }

  get size(): number {
    return this.owners.size;
  }

  /** How many ports of the range are held. */
  usedIn(range: PortRange): number {
    let n = 0;
    for (const port of this.owners.keys()) if (port >= range.from && port <= range.to) n++;
    return n;
  }
}
