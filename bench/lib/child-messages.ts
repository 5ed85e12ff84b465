/**
 * Messages a bench child process writes to stdout, one JSON object per line, tagged with
 * `bench` so that stray library output on stdout can never be mistaken for a result.
 */
export type ChildMessage =
  | { readonly bench: 'ready'; readonly port?: number; readonly info?: Record<string, string> }
  | { readonly bench: 'result'; readonly data: unknown }
  | { readonly bench: 'skip'; readonly reason: string }
  | { readonly bench: 'error'; readonly message: string };

export function encodeChildMessage(msg: ChildMessage): string {
  return `${JSON.stringify(msg)}\n`;
}

/** Parse one stdout line; undefined when it is not a bench message. */
export function parseChildMessage(line: string): ChildMessage | undefined {
  if (!line.startsWith('{"bench"')) return undefined;
  try {
    const msg = JSON.parse(line) as { bench?: unknown };
    switch (msg.bench) {
      case 'ready':
      case 'result':
      case 'skip':
      case 'error':
        return msg as ChildMessage;
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}
