import { FrameAdapter } from './frame-adapter.js';
import { loadgenMain } from './main.js';
import type { LoadgenParams } from './params.js';

/**
 * The hub, driven with raw msgpack frames: the same bytes as the bare-uWS limit. The producer
 * connects to params.peer.url; workers to params.peer.workerUrls (comma-separated hubs of
 * one cluster, round-robin) when given, else to the same url.
 */
loadgenMain((p: LoadgenParams) => {
  const url = String(p.peer?.url);
  const workerUrls = p.peer?.workerUrls ? String(p.peer.workerUrls).split(',') : [url];
  return new FrameAdapter(url, String(p.peer?.system ?? 'switchboard'), undefined, workerUrls);
});
