import type { WorkspaceServiceSpec } from './workspace-records.js';

/** What is wrong with a workspace's services: the field (`services.2.dependencies`) and why. */
export interface ServiceOrderIssue {
  path: (string | number)[];
  message: string;
}

/**
 * The order services start in: each after every service it depends on, and otherwise in
 * the order declared (so the same spec always starts the same way). The one rule for it,
 * used by the edge (a 400 naming the field) and by the gateway: duplicate names, unknown
 * dependencies and cycles are refused, the cycle spelled out (`web -> api -> web`).
 */
export function serviceOrder(
  services: readonly WorkspaceServiceSpec[],
): { ok: true; order: WorkspaceServiceSpec[] } | { ok: false; issue: ServiceOrderIssue } {
  const index = new Map<string, number>();
  for (const [i, svc] of services.entries()) {
    if (index.has(svc.name))
      return {
        ok: false,
        issue: { path: ['services', i, 'name'], message: `service ${svc.name} is declared twice` },
      };
    index.set(svc.name, i);
  }
  for (const [i, svc] of services.entries())
    for (const [j, dep] of (svc.dependencies ?? []).entries()) {
      if (!index.has(dep))
        return {
          ok: false,
          issue: {
            path: ['services', i, 'dependencies', j],
            message: `service ${svc.name} depends on ${dep}, which is not declared`,
          },
        };
      if (dep === svc.name)
        return {
          ok: false,
          issue: {
            path: ['services', i, 'dependencies', j],
            message: `service ${svc.name} depends on itself`,
          },
        };
    }
  // Depth-first, in declaration order: 0 unvisited, 1 on the current path, 2 placed.
  const mark = new Array<number>(services.length).fill(0);
  const order: WorkspaceServiceSpec[] = [];
  const stack: number[] = [];
  const visit = (i: number): ServiceOrderIssue | undefined => {
    if (mark[i] === 2) return undefined;
    if (mark[i] === 1) {
      const cycle = [...stack.slice(stack.indexOf(i)), i].map((k) => services[k]!.name);
      return {
        path: ['services', i, 'dependencies'],
        message: `services depend on each other in a cycle: ${cycle.join(' -> ')}`,
      };
    }
    mark[i] = 1;
    stack.push(i);
    for (const dep of services[i]!.dependencies ?? []) {
      const issue = visit(index.get(dep)!);
      if (issue) return issue;
    }
    stack.pop();
    mark[i] = 2;
    order.push(services[i]!);
    return undefined;
  };
  for (let i = 0; i < services.length; i++) {
    const issue = visit(i);
    if (issue) return { ok: false, issue };
  }
  return { ok: true, order };
}
