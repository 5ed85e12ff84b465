import type { AggregatedMetric, AggregatedRow } from './report-types.js';
import { median } from './stats.js';
import type { Metric, Result } from './types.js';

/** Results of every run, per scenario, folded into one row per (workload, system). */
export function aggregate(perScenario: ReadonlyMap<string, readonly Result[]>): AggregatedRow[] {
  const rows: AggregatedRow[] = [];
  for (const [scenario, results] of perScenario) {
    const groups = new Map<string, Result[]>();
    for (const r of results) {
      const key = `${r.workload}\u0000${r.system}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    for (const group of groups.values()) rows.push(foldGroup(scenario, group));
  }
  return rows;
}

function foldGroup(scenario: string, group: readonly Result[]): AggregatedRow {
  const { workload, system } = group[0]!;
  const ok = group.filter((r): r is Extract<Result, { status: 'ok' }> => r.status === 'ok');
  const bad = group.filter(
    (r): r is Extract<Result, { status: 'skipped' | 'failed' }> => r.status !== 'ok',
  );
  const reasons = [...new Set(bad.map((r) => r.reason))].join('; ');
  const base = { scenario, workload, system, okRuns: ok.length, attemptedRuns: group.length };
  if (ok.length === 0) {
    const status = bad.some((r) => r.status === 'failed') ? 'failed' : 'skipped';
    return { ...base, status, reason: reasons, metrics: [], notes: [] };
  }
  const byKey = new Map<string, Metric[]>();
  for (const r of ok) for (const m of r.metrics) byKey.set(m.key, [...(byKey.get(m.key) ?? []), m]);
  const metrics: AggregatedMetric[] = [...byKey.values()].map((ms) => {
    const values = ms.map((m) => m.value);
    const { key, label, unit, better, detail } = ms[0]!;
    return {
      key,
      label,
      unit,
      better,
      ...(detail ? { detail } : {}),
      values,
      median: median(values),
      min: Math.min(...values),
      max: Math.max(...values),
    };
  });
  const notes = [...new Set(ok.flatMap((r) => r.notes ?? []))];
  return {
    ...base,
    status: 'ok',
    ...(bad.length ? { reason: `${bad.length} run(s) ${reasons}` } : {}),
    metrics,
    notes,
  };
}
