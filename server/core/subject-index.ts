import { isSystemSubject } from '../../protocol/index.js';

interface Node<T> {
  children: Map<string, Node<T>> | undefined;
  /** Entries whose pattern ends here. */
  here: Set<T> | undefined;
  /** Entries whose pattern ends with `>` after this node. */
  rest: Set<T> | undefined;
}

const node = <T>(): Node<T> => ({ children: undefined, here: undefined, rest: undefined });

/**
 * Subscription patterns by token, so a publish costs the depth of its topic and the
 * patterns that match, not the number of subscriptions. `*` is stored as a child named
 * '*'; `>` as the `rest` set of the node before it.
 */
export class SubjectIndex<T> {
  private readonly root: Node<T> = node();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(pattern: string, entry: T): void {
    const tokens = pattern.split('.');
    let n = this.root;
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i]!;
      if (tok === '>') {
        (n.rest ??= new Set()).add(entry);
        this.count++;
        return;
      }
      const children = (n.children ??= new Map());
      let next = children.get(tok);
      if (!next) children.set(tok, (next = node()));
      n = next;
    }
    (n.here ??= new Set()).add(entry);
    this.count++;
  }

  remove(pattern: string, entry: T): void {
    const tokens = pattern.split('.');
    const path: [Node<T>, string][] = [];
    let n = this.root;
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i]!;
      if (tok === '>') {
        if (n.rest?.delete(entry)) this.count--;
        if (n.rest?.size === 0) n.rest = undefined;
        this.prune(path, n);
        return;
      }
      const next = n.children?.get(tok);
      if (!next) return;
      path.push([n, tok]);
      n = next;
    }
    if (n.here?.delete(entry)) this.count--;
    if (n.here?.size === 0) n.here = undefined;
    this.prune(path, n);
  }

  /** Every entry whose pattern matches `topic` (no wildcards), each once, into `out`. */
  match(topic: string, out: Set<T>): Set<T> {
    const tokens = topic.split('.');
    // A `$sys` topic is matched only by patterns that name `$sys` themselves.
    const system = isSystemSubject(topic);
    this.walk(this.root, tokens, 0, out, system);
    return out;
  }

  private walk(n: Node<T>, tokens: string[], i: number, out: Set<T>, system: boolean): void {
    const guarded = system && i === 0;
    if (n.rest && i < tokens.length && !guarded) for (const e of n.rest) out.add(e);
    if (i === tokens.length) {
      if (n.here) for (const e of n.here) out.add(e);
      return;
    }
    const children = n.children;
    if (!children) return;
    const exact = children.get(tokens[i]!);
    if (exact) this.walk(exact, tokens, i + 1, out, system);
    if (!guarded) {
      const star = children.get('*');
      if (star) this.walk(star, tokens, i + 1, out, system);
    }
  }

  private prune(path: [Node<T>, string][], leaf: Node<T>): void {
    let n = leaf;
    for (let k = path.length - 1; k >= 0; k--) {
      if (n.here || n.rest || (n.children && n.children.size > 0)) return;
      const [parent, tok] = path[k]!;
      parent.children!.delete(tok);
      n = parent;
    }
  }
}
