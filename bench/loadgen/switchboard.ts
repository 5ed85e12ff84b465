import { FrameAdapter } from './frame-adapter.js';
import { loadgenMain } from './main.js';
import type { LoadgenParams } from './params.js';

/** The hub, driven with raw msgpack frames: the same bytes as the bare-uWS limit. */
loadgenMain(
  (p: LoadgenParams) =>
    new FrameAdapter(String(p.peer?.url), String(p.peer?.system ?? 'switchboard')),
);
