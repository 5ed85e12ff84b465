import { FrameAdapter } from './frame-adapter.js';
import { loadgenMain } from './main.js';
import type { LoadgenParams } from './params.js';

loadgenMain((p: LoadgenParams) => new FrameAdapter(String(p.peer?.url), 'bare-uws'));
