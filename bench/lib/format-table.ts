import type { AggregatedMetric, AggregatedRow } from './report-types.js';

/**
 * Rows grouped by workload into tables of text cells, shared by the console output and
 * docs/benchmarks.md. Each cell is "median (min–max)". Ratio columns are plain quotients of
 * the primary metric's medians (the workload's first metric): "÷ bare-uws" is row ÷ the
 * bare-uWS limit; "<switchboard-x> ÷" is that Switchboard system ÷ row. SKIPPED and FAILED
 * rows stay in the table, in capitals, with their reason.
 */
export interface TextTable {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

const LIMIT = 'bare-uws';

export function formatNumber(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === 'tasks/s') return Math.round(value).toLocaleString('en-US');
  if (unit === '%' || unit === 'MB') return value.toFixed(1);
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

function cell(m: AggregatedMetric | undefined): string {
  if (!m) return '';
  const med = formatNumber(m.median, m.unit);
  if (m.values.length < 2) return med;
  return `${med} (${formatNumber(m.min, m.unit)}–${formatNumber(m.max, m.unit)})`;
}

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0)
    return '';
  const q = a / b;
  return `${q >= 10 ? q.toFixed(0) : q >= 1 ? q.toFixed(2) : q.toPrecision(2)}×`;
}

function workloadOrder(w: string): string {
  const m = /^latency@(\d+)/.exec(w);
  return m ? `1-${m[1]!.padStart(9, '0')}` : w === 'throughput' ? '0' : `2-${w}`;
}

export function buildTables(rows: readonly AggregatedRow[]): TextTable[] {
  const workloads = [...new Set(rows.map((r) => r.workload))].sort((a, b) =>
    workloadOrder(a).localeCompare(workloadOrder(b)),
  );
  return workloads.map((workload) => {
    const group = rows.filter((r) => r.workload === workload);
    const ok = group.filter((r) => r.status === 'ok');
    const keys: AggregatedMetric[] = [];
    for (const r of ok)
      for (const m of r.metrics) if (!m.detail && !keys.some((k) => k.key === m.key)) keys.push(m);
    const primary = keys[0]?.key;
    const primaryOf = (r: AggregatedRow | undefined): number | undefined =>
      r?.metrics.find((m) => m.key === primary)?.median;
    const limit = ok.find((r) => r.system === LIMIT);
    const switchboards = ok.filter((r) => r.system.startsWith('switchboard'));
    const headers = [
      'system',
      ...(keys.length
        ? keys.map((k) => (k.label === k.unit ? k.label : `${k.label} (${k.unit})`))
        : ['result']),
      ...(limit ? [`÷ ${LIMIT}`] : []),
      ...switchboards.map((s) => `${s.system} ÷`),
      'runs',
    ];
    const sorted = [...group].sort((a, b) => rank(a) - rank(b) || a.system.localeCompare(b.system));
    const body = sorted.map((r) => {
      if (r.status !== 'ok') {
        const blank: string[] = new Array<string>(headers.length - 3).fill('');
        return [
          r.system,
          `**${r.status.toUpperCase()}**: ${r.reason ?? ''}`,
          ...blank,
          `0/${r.attemptedRuns}`,
        ];
      }
      return [
        r.system,
        ...keys.map((k) => cell(r.metrics.find((m) => m.key === k.key))),
        ...(limit ? [r === limit ? '1×' : ratio(primaryOf(r), primaryOf(limit))] : []),
        ...switchboards.map((s) => (s === r ? '' : ratio(primaryOf(s), primaryOf(r)))),
        `${r.okRuns}/${r.attemptedRuns}`,
      ];
    });
    return { title: workload, headers, rows: body };
  });
}

/** Detail metrics (Metric.detail), one line per row that has any: "system workload: a 1.2, b 3.4". */
export function detailLines(rows: readonly AggregatedRow[]): string[] {
  return rows.flatMap((r) => {
    const details = r.metrics.filter((m) => m.detail);
    if (!details.length) return [];
    const cells = details.map((m) => `${m.label} ${formatNumber(m.median, m.unit)}`);
    return [`${r.system} ${r.workload}: ${cells.join(', ')}`];
  });
}

function rank(r: AggregatedRow): number {
  if (r.status !== 'ok') return 3;
  if (r.system.startsWith('switchboard')) return 0;
  return r.system === LIMIT ? 2 : 1;
}

/** Plain-text rendering for the console. */
export function renderText(tables: readonly TextTable[]): string {
  const out: string[] = [];
  for (const t of tables) {
    const all = [t.headers, ...t.rows].map((r) => r.map((c) => c.replace(/\*\*/g, '')));
    const widths = t.headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
    const line = (r: readonly string[]): string =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd();
    out.push(
      `== ${t.title}`,
      line(all[0]!),
      widths.map((w) => '-'.repeat(w)).join('  '),
      ...all.slice(1).map(line),
      '',
    );
  }
  return out.join('\n');
}

/** Markdown rendering for docs/benchmarks.md. */
export function renderMarkdown(tables: readonly TextTable[]): string {
  const out: string[] = [];
  for (const t of tables) {
    const esc = (c: string): string => c.replace(/\|/g, '\\|');
    out.push(
      `#### ${t.title}`,
      '',
      `| ${t.headers.map(esc).join(' | ')} |`,
      `|${t.headers.map(() => ' --- ').join('|')}|`,
    );
    for (const r of t.rows) out.push(`| ${r.map(esc).join(' | ')} |`);
    out.push('');
  }
  return out.join('\n');
}
