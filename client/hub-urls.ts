import { InvalidOptionError } from './errors.js';

/** One hub URL, several (`[a, b]`), or several in one string (`"a,b"`, as in SWITCHBOARD_URL). */
export type HubUrls = string | readonly string[];

/** Which port the URLs name: the WebSocket port (ws/wss) or the HTTP side port (http/https). */
export type HubUrlKind = 'ws' | 'http';

const SCHEMES: Record<HubUrlKind, readonly string[]> = {
  ws: ['ws:', 'wss:'],
  http: ['http:', 'https:'],
};

/**
 * The hubs of `input`, in order, checked: at least one, each a URL of `kind`'s schemes.
 * Throws InvalidOptionError naming `option` at construction, so a typo fails where it was
 * written rather than as an endless reconnect loop.
 */
export function parseHubUrls(input: HubUrls, kind: HubUrlKind, option = 'url'): string[] {
  if (typeof input !== 'string' && !Array.isArray(input)) {
    throw new InvalidOptionError(
      option,
      `\`${option}\` must be a URL string or a non-empty array of them, not ${typeof input}`,
    );
  }
  // In one string, an empty entry ("a,,b", a trailing comma) is only punctuation.
  const parts: unknown[] =
    typeof input === 'string' ? input.split(',').filter((p) => p.trim() !== '') : [...input];
  const urls: string[] = [];
  for (const part of parts) {
    if (typeof part !== 'string' || part.trim() === '') {
      throw new InvalidOptionError(
        option,
        `\`${option}\` holds ${typeof part === 'string' ? 'an empty string' : `a ${typeof part}`}, not a URL`,
      );
    }
    const text = part.trim();
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      throw new InvalidOptionError(option, `\`${option}\`: ${JSON.stringify(text)} is not a URL`);
    }
    if (!SCHEMES[kind].includes(parsed.protocol)) {
      const want = SCHEMES[kind].map((s) => `${s}//`).join(' or ');
      const hint =
        kind === 'ws'
          ? ' (the WebSocket port, e.g. ws://127.0.0.1:9501)'
          : ' (the HTTP side port, e.g. http://127.0.0.1:9500)';
      throw new InvalidOptionError(
        option,
        `\`${option}\`: ${JSON.stringify(text)} is not a ${want} URL${hint}`,
      );
    }
    urls.push(text);
  }
  if (urls.length === 0) {
    throw new InvalidOptionError(option, `\`${option}\` names no hub: give at least one URL`);
  }
  return urls;
}

/**
 * A list of hubs and the one in use. Failing over moves to the next in order (round robin);
 * a hub that answered stays in use, so the next request or reconnect tries it first.
 */
export class HubUrlList {
  readonly all: readonly string[];
  private index = 0;

  constructor(input: HubUrls, kind: HubUrlKind, option = 'url') {
    this.all = parseHubUrls(input, kind, option);
  }

  /** The hub in use (or being tried). */
  get current(): string {
    return this.all[this.index]!;
  }

  get size(): number {
    return this.all.length;
  }

  /** The hub after the current one, which failed; it becomes the current one. */
  advance(): string {
    this.index = (this.index + 1) % this.all.length;
    return this.current;
  }

  /** The hubs in the order to try them now: the current one first, then round robin. */
  order(): string[] {
    return this.all.map((_, i) => this.all[(this.index + i) % this.all.length]!);
  }

  /** Make `url` (one of the list) the current hub. */
  use(url: string): void {
    const i = this.all.indexOf(url);
    if (i >= 0) this.index = i;
  }

  toString(): string {
    return this.all.join(',');
  }
}
