/**
 * The V8 flags the hub is started with: by `npm start`, deployment/switchboard.service and
 * deployment/Dockerfile (test/ops/node-flags.test.ts holds the three to this list), and by
 * the benchmarks, which measure the hub as it is deployed.
 *
 * `--max-semi-space-size=32` (a young generation of up to 64 MB instead of 32): a push of
 * 1,000 federation hashes allocates ~200 KB of short-lived buffers (socket reads, the body,
 * the packed hashes), and with the default V8 ran a full mark-compact every few hundred
 * pushes, ~2.5 s of its threads' CPU over 10,000 pushes; with it ~0.7 s, and the hub's CPU
 * per durable push went from 0.87–0.90 to 0.62 ms (docs/benchmarks.md). It costs up to
 * 32 MB more RSS under load, which the idle release (server.idleMemoryReleaseMs) returns.
 */
export const HUB_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];
