import t from 'tap';
import { execFileSync } from 'node:child_process';

// A user imports the package by its name, through package.json "exports" and the built
// dist/: every entry point must resolve and export what its docs say.
t.test('every entry point in package.json exports resolves', async (t) => {
  const script = `
    const root = await import('switchboard');
    const protocol = await import('switchboard/protocol');
    const server = await import('switchboard/server');
    console.log(JSON.stringify({
      root: [typeof root.Worker, typeof root.Producer, typeof root.ErrorCode],
      protocol: [typeof protocol.decodeClientFrame, typeof protocol.encodeFrame],
      server: [typeof server.startHubProcess, typeof server.loadConfig, typeof server.mintToken],
    }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  t.same(JSON.parse(out), {
    root: ['function', 'function', 'object'],
    protocol: ['function', 'function'],
    server: ['function', 'function', 'function'],
  });
});
