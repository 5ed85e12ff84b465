import type { Command } from 'commander';
import type { HubTarget } from '../hub-client.js';
import { hubRequest } from '../hub-client.js';
import { withHubTargetFlags, type TargetFlags } from '../target.js';

type TargetResolver = (opts: TargetFlags) => Promise<HubTarget>;

/** GET /api/v1/flows/:id as the CLI reads it (server/http/routes/flow-routes.ts). */
export interface FlowJson {
  id: string;
  name: string | null;
  queue: string;
  state: string;
  parentId: string | null;
  onChildFailure: string | null;
  error: { code: string; message: string } | null;
  children: FlowJson[];
  evicted: { taskId: string; name?: string; queue: string; state: string }[];
}

/** One line of a task in the tree: id, name, queue, state, and why it failed. */
function line(id: string, name: string | null | undefined, queue: string, state: string): string {
  return `${id}${name ? ` ${name}` : ''}  (${queue})  ${state}`;
}

/**
 * The flow as an indented tree, parent first, each child under it with its state; children
 * already evicted show the outcome their parent kept.
 */
export function renderFlow(root: FlowJson): string {
  const out: string[] = [];
  const walk = (f: FlowJson, prefix: string, branch: string): void => {
    const pending = f.children.filter((c) => !FINAL.has(c.state)).length;
    let text = line(f.id, f.name, f.queue, f.state);
    if (f.state === 'waiting-children') text += `, waiting on ${pending} of ${f.children.length}`;
    if (f.onChildFailure) text += `  [on child failure: ${f.onChildFailure}]`;
    if (f.error) text += `  ${f.error.code}: ${f.error.message.slice(0, 60)}`;
    out.push(`${prefix}${branch}${text}`);
    const under = prefix + (branch === '' ? '' : branch === '└─ ' ? '   ' : '│  ');
    const kids = [...f.children.map((c) => ({ c })), ...f.evicted.map((e) => ({ e }))];
    kids.forEach((k, i) => {
      const b = i === kids.length - 1 ? '└─ ' : '├─ ';
      if ('c' in k) walk(k.c, under, b);
      else out.push(`${under}${b}${line(k.e.taskId, k.e.name, k.e.queue, k.e.state)} (evicted)`);
    });
  };
  walk(root, '', '');
  return out.join('\n');
}

const FINAL = new Set(['completed', 'dead', 'expired', 'cancelled']);

/** `switchboard flow ID`: a flow's parent and children with their states (docs/flows.md). */
export function registerFlowCommand(program: Command, resolve: TargetResolver): void {
  withHubTargetFlags(
    program
      .command('flow')
      .description("a flow's tree: the task and its children, each with its state")
      .argument('<id>', 'any task of the flow: shows it and everything below it'),
    'producer or admin token',
  ).action(async (id: string, opts) => {
    const target = await resolve(opts);
    const flow = await hubRequest<FlowJson>(
      target,
      'GET',
      `/api/v1/flows/${encodeURIComponent(id)}`,
    );
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(flow, null, 2)}\n`);
      return;
    }
    const parent = flow.parentId ? `child of ${flow.parentId}\n` : '';
    process.stdout.write(`${parent}${renderFlow(flow)}\n`);
  });
}
