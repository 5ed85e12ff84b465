/** The dashboard's event-stream framing, fed the way fetch delivers it: in arbitrary chunks. */
import t from 'tap';
import { SseParser } from '../../ui/sse-parser.js';

const parse = (chunks: string[]) => {
  const out: [string, string, string | undefined][] = [];
  const p = new SseParser((type, data, id) => out.push([type, data, id]));
  for (const c of chunks) p.push(c);
  return out;
};

t.test('events cut anywhere come out whole, comments and retry skipped', async (t) => {
  const text =
    'retry: 2000\n: switchboard event stream\n\nid: 7\nevent: task.submitted\ndata: {"a":1}\n\n: keepalive\n\nid: 8\nevent: task.dead\ndata: {"b":2}\n\n';
  const whole = parse([text]);
  t.same(whole, [
    ['task.submitted', '{"a":1}', '7'],
    ['task.dead', '{"b":2}', '8'],
  ]);
  for (let cut = 1; cut < text.length; cut++)
    t.same(parse([text.slice(0, cut), text.slice(cut)]), whole, `cut at ${cut}`);
  t.same(parse(text.split('')), whole, 'one character at a time');
});

t.test('CRLF line ends, several data lines, an unfinished event held back', async (t) => {
  t.same(parse(['event: x\r\ndata: one\r\ndata: two\r\n\r\n']), [['x', 'one\ntwo', undefined]]);
  t.same(parse(['data: no type\n\n']), [['message', 'no type', undefined]]);
  t.same(parse(['id: 1\nevent: x\ndata: {}\n']), [], 'no blank line yet: nothing');
});
