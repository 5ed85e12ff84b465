import { Worker } from 'node:worker_threads';

export interface CompactionJob {
  dir: string;
  /** Snapshot to start from (its coversSegment), or undefined for an empty state. */
  baseSnapshot: number | undefined;
  segments: number[];
  coversSegment: number;
  replayer?: { module: string; exportName: string } | undefined;
  replayOptions?: object | undefined;
}

export interface CompactionResult {
  records: number;
  tasks: number;
}

/** Run one compaction in a worker thread (see compactor-worker.ts). */
export function runCompaction(job: CompactionJob): Promise<CompactionResult> {
  // Same extension as this module: .js from dist, .ts when tests run the sources.
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const url = new URL(`./compactor-worker${ext}`, import.meta.url);
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { workerData: job });
    worker.once(
      'message',
      (msg: { ok: true; result: CompactionResult } | { ok: false; error: string }) => {
        if (msg.ok) resolve(msg.result);
        else reject(new Error(msg.error));
      },
    );
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`compaction worker exited with code ${code}`));
    });
  });
}
