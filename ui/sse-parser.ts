/**
 * Server-Sent Events framing (the WHATWG event-stream format) for a stream read with fetch:
 * text arrives in chunks cut anywhere, events end at a blank line, comments (`:`) are
 * keepalives, several `data:` lines join with newlines.
 */
/** Fed text a chunk at a time; `onEvent` gets each complete event. */
export class SseParser {
  private buf = '';
  constructor(
    private readonly onEvent: (type: string, data: string, id: string | undefined) => void,
  ) {}
  push(text: string): void {
    this.buf += text.replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = this.buf.indexOf('\n\n')) >= 0) {
      const block = this.buf.slice(0, end);
      this.buf = this.buf.slice(end + 2);
      let type = 'message';
      let id: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const i = line.indexOf(':');
        const field = i < 0 ? line : line.slice(0, i);
        const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (field === 'event') type = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id') id = value;
      }
      if (data.length) this.onEvent(type, data.join('\n'), id);
    }
  }
}
