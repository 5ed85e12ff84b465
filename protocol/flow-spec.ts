import * as z from 'zod';
import { nameSchema, taskIdSchema, taskSpecSchema, type TaskSpec } from './task-spec.js';

/**
 * Flows (docs/flows.md): a parent task that runs only once its children are final, with
 * their outcomes handed to it. A flow is submitted as one tree; these are its bounds, met at
 * every edge (the `flow` frame, POST /api/v1/flows) before anything reaches the hub's core.
 */

/** Tasks in one flow, the root included. */
export const FLOW_MAX_TASKS = 1000;
/** Levels of one flow: the root is level 1, its children level 2, and so on. */
export const FLOW_MAX_DEPTH = 10;

/** What a parent does when one of its children ends other than completed. */
export const FlowPolicy = {
  /** The parent fails at once (dead, CHILD_FAILED); its unfinished children are cancelled. */
  fail: 'fail',
  /** The parent still runs once every child is final, and sees which ones failed. */
  continue: 'continue',
} as const;
export type FlowPolicyName = (typeof FlowPolicy)[keyof typeof FlowPolicy];
export const FLOW_POLICIES = Object.values(FlowPolicy) as [FlowPolicyName, ...FlowPolicyName[]];

/** One task of a flow as a producer writes it: a task spec, a name, and its children. */
export interface FlowNodeSpec extends TaskSpec {
  /** Unique among its siblings; the parent finds the child's outcome under it. */
  name?: string;
  /** For this node's children; inherited from the nearest ancestor that sets it; default fail. */
  onChildFailure?: FlowPolicyName;
  children?: FlowNodeSpec[];
}

const flowNodeShape = taskSpecSchema.extend({
  name: nameSchema.optional(),
  onChildFailure: z.enum(FLOW_POLICIES).optional(),
  get children(): z.ZodOptional<z.ZodArray<z.ZodType<FlowNodeSpec>>> {
    return z
      .array(flowNodeShape as z.ZodType<FlowNodeSpec>)
      .min(1)
      .max(FLOW_MAX_TASKS)
      .optional();
  },
});

/**
 * A flow's root, checked whole: at most FLOW_MAX_TASKS tasks and FLOW_MAX_DEPTH levels,
 * sibling names unique, and an idempotency key only on the root (it names the flow; a key on
 * a child would make a flow half new and half old). Each refusal names the field at fault.
 */
export const flowSchema = (flowNodeShape as z.ZodType<FlowNodeSpec>)
  .superRefine((root, ctx) => {
    let count = 0;
    const stack: { node: FlowNodeSpec; path: (string | number)[]; level: number }[] = [
      { node: root, path: [], level: 1 },
    ];
    while (stack.length) {
      const { node, path, level } = stack.pop()!;
      count++;
      if (level > 1 && node.idempotencyKey !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'idempotencyKey'],
          message: 'only the root of a flow may carry an idempotency key (it names the flow)',
        });
      const children = node.children;
      if (!children) continue;
      if (level >= FLOW_MAX_DEPTH) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'children'],
          message: `a flow nests at most ${FLOW_MAX_DEPTH} levels (the root is level 1)`,
        });
        continue;
      }
      const names = new Set<string>();
      for (let i = 0; i < children.length; i++) {
        const child = children[i]!;
        if (child.name !== undefined) {
          if (names.has(child.name))
            ctx.addIssue({
              code: 'custom',
              path: [...path, 'children', i, 'name'],
              message: `two children are named "${child.name}"; sibling names must differ`,
            });
          names.add(child.name);
        }
        stack.push({ node: child, path: [...path, 'children', i], level: level + 1 });
      }
    }
    if (count > FLOW_MAX_TASKS)
      ctx.addIssue({
        code: 'custom',
        path: ['children'],
        message: `a flow holds at most ${FLOW_MAX_TASKS} tasks; this one has ${count}`,
      });
  })
  .meta({
    id: 'FlowNode',
    description:
      'A task spec with an optional `name` (unique among siblings), `onChildFailure` (fail | continue, inherited) and `children` (docs/flows.md).',
  });

/** One task of a flow, flattened: parents come before their children (pre-order). */
export interface FlatFlowTask {
  spec: TaskSpec;
  /** Index of the parent in the flattened list; undefined for the root. */
  parent: number | undefined;
  name: string | undefined;
  /** Set on tasks that have children: the policy in force for them. */
  policy: FlowPolicyName | undefined;
  /** How many children it has. */
  children: number;
}

/**
 * The tree in pre-order (each parent, then its subtrees in order): the order in which the
 * hub answers with task ids and in which it creates the tasks.
 */
export function flattenFlow(root: FlowNodeSpec): FlatFlowTask[] {
  const out: FlatFlowTask[] = [];
  const stack: { node: FlowNodeSpec; parent: number | undefined; inherited: FlowPolicyName }[] = [
    { node: root, parent: undefined, inherited: FlowPolicy.fail },
  ];
  while (stack.length) {
    const { node, parent, inherited } = stack.pop()!;
    const { name, onChildFailure, children, ...spec } = node;
    const policy = onChildFailure ?? inherited;
    const index = out.length;
    out.push({
      spec,
      parent,
      name,
      policy: children?.length ? policy : undefined,
      children: children?.length ?? 0,
    });
    // Reversed onto the stack so that the first child is taken first.
    for (let i = (children?.length ?? 0) - 1; i >= 0; i--)
      stack.push({ node: children![i]!, parent: index, inherited: policy });
  }
  return out;
}

/** The final states a child can be seen in by its parent. */
export const FLOW_CHILD_STATES = ['completed', 'dead', 'expired', 'cancelled'] as const;

/** A child's outcome as its parent's worker receives it (the `children` of a task frame). */
export const flowChildSchema = z.strictObject({
  taskId: taskIdSchema,
  name: z.string().optional(),
  queue: z.string(),
  state: z.enum(FLOW_CHILD_STATES),
  /** What its handler returned (completed children). */
  result: z.unknown().optional(),
  error: z
    .strictObject({ code: z.string(), message: z.string(), details: z.unknown().optional() })
    .optional(),
});
export type FlowChild = z.infer<typeof flowChildSchema>;
