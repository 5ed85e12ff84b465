import { Packr } from 'msgpackr';
import { Core } from '../server/core/index.js';
const core = new Core();
core.apply({type:'federation.push', now:1, federation:'a', by:'k', summary:{agentId:'x', timestamp:'t', at:1, topicCounts:{}, factHashes:[]}});
const packr = new Packr({ useRecords: false, moreTypes: false });
const j = core.takeEffects().journal;
const replayed = new Core(); for (const r of packr.unpack(packr.pack(j)) as any[]) console.log(replayed.apply(r));
const restored = Core.restore(packr.unpack(packr.pack(core.snapshot())));
console.log(core.federations.items, replayed.federations.items, restored.federations.items, JSON.stringify(packr.unpack(packr.pack(core.snapshot())).federations));
