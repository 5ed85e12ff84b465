import { Writable } from 'node:stream';
import t from 'tap';
import { createLogger } from '../../server/runtime/logger.js';

/** The hub's logger, writing into memory: what a careless log call would put on disk. */
function capture(): { log: ReturnType<typeof createLogger>; text: () => string } {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { log: createLogger({ level: 'trace', pretty: false }, sink), text: () => text };
}

t.test('redaction reaches frames nested in context objects', async (t) => {
  const { log, text } = capture();
  log.trace({ frame: { t: 'submit', payload: { card: 'M1' } } }, 'one deep');
  log.debug({ session: { frame: { t: 'task', payload: 'M2', result: 'M3' } } }, 'two deep');
  log.info({ a: { b: { c: { token: 'M4', privateKey: 'M5', value: 'M6' } } } }, 'three deep');
  log.warn({ req: { headers: { authorization: 'Bearer M7', cookie: 'sid=M8' } } }, 'headers');
  log.error({ command: { stdout: 'M9', stderr: 'M10' }, error: { details: 'M11' } }, 'output');
  const out = text();
  for (let i = 1; i <= 11; i++) t.notMatch(out, new RegExp(`M${i}\\b`), `marker M${i} redacted`);
  t.match(out, /"t":"submit"/, 'the rest of the frame is kept');
  t.equal(out.trim().split('\n').length, 5, 'every line was written, at every level');
});

t.test('errors keep what went wrong and drop the input they carry', async (t) => {
  const { log, text } = capture();
  const err = Object.assign(new Error('cannot encode frame'), {
    code: 'E_ENCODE',
    input: { card: 'InputMarker' },
    body: 'BodyMarker',
  });
  err.cause = Object.assign(new Error('inner'), { data: 'CauseDataMarker' });
  log.error({ err }, 'frame handler failed');
  log.error({ err: new Error(`bad value ${'x'.repeat(5000)}LongTailMarker`) }, 'long');
  const out = text();
  t.match(out, /cannot encode frame/);
  t.match(out, /"code":"E_ENCODE"/);
  t.match(out, /"cause":\{"type":"Error","message":"inner"/);
  for (const m of ['InputMarker', 'BodyMarker', 'CauseDataMarker', 'LongTailMarker'])
    t.notMatch(out, m, `${m} not logged`);
  t.match(out, /more chars cut/);
});
