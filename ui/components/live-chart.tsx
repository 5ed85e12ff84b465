/**
 * A live time-series chart drawn by uPlot (canvas, ~50 KB, no dependencies), for the overview's
 * last-minutes series. The chart is made once and fed with setData on every change, so a
 * second's tick costs one redraw, not a new chart. uPlot sets element.style from script
 * (allowed by the dashboard's CSP `style-src 'self'`) and its stylesheet is bundled into
 * styles.css, so nothing is inline or fetched.
 *
 * What the chart holds is mirrored on the figure as data-peak-<label> / data-last-<label>,
 * read back from uPlot's own data after each setData: the browser tests assert on what was
 * handed to the canvas, and the figcaption gives the same numbers as text for screen readers.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface Line {
  label: string;
  values: number[];
  /** A CSS custom property of the page (`--accent`) so the line follows the theme. */
  color: string;
}

const HEIGHT = 150;
const DARK = '(prefers-color-scheme: dark)';

/** 10,000 -> 10k: y labels stay narrow enough for a 360 px screen. */
const compact = (v: number): string =>
  v >= 1e6 ? `${+(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${+(v / 1e3).toFixed(1)}k` : String(v);
const pad = (n: number): string => String(n).padStart(2, '0');
/** HH:MM of the browser's clock, one line (uPlot's default adds a line with the date). */
const clock = (sec: number): string => {
  const d = new Date(sec * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

const cssVar = (el: Element, name: string): string =>
  getComputedStyle(el).getPropertyValue(name).trim() || 'gray';

/** uPlot's aligned data: x in Unix seconds, right-aligned on `end`, then one array per line. */
function aligned(end: number, lines: Line[]): uPlot.AlignedData {
  const n = Math.min(...lines.map((l) => l.values.length));
  const xs = Array.from({ length: n }, (_, i) => end - (n - 1 - i));
  return [xs, ...lines.map((l) => l.values.slice(l.values.length - n))];
}

export function LiveChart({
  name,
  title,
  unit = '',
  end,
  span,
  lines,
}: {
  /** data-chart attribute: what tests and styles select the chart by. */
  name: string;
  title: string;
  unit?: string;
  /** Second (Unix s) of the last value. */
  end: number;
  /** Seconds the x axis always spans, so a chart opened a minute ago fills from the right. */
  span: number;
  lines: Line[];
}) {
  const fig = useRef<HTMLElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const endRef = useRef(end);
  endRef.current = end;
  const labels = lines.map((l) => l.label).join(',');

  // One chart per mount (and per colour scheme: canvas colours are resolved when drawn).
  useEffect(() => {
    const el = box.current!;
    const root = fig.current!;
    const make = () => {
      plot.current?.destroy();
      const fg = cssVar(root, '--fg');
      const grid = cssVar(root, '--line');
      const colors = lines.map((l) => cssVar(root, l.color));
      const axis: uPlot.Axis = {
        stroke: fg,
        grid: { stroke: grid, width: 1 },
        ticks: { stroke: grid, width: 1 },
      };
      plot.current = new uPlot(
        {
          width: Math.max(120, el.clientWidth),
          height: HEIGHT,
          legend: { show: true, live: false, markers: { fill: (_u, i) => colors[i - 1] ?? '' } },
          cursor: { drag: { x: false, y: false } },
          scales: {
            x: { time: true, range: () => [endRef.current - span + 1, endRef.current] },
            y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] },
          },
          axes: [
            {
              ...axis,
              // Ticks on whole minutes only: HH:MM labels fit one a minute even at 360 px.
              space: 44,
              incrs: [60, 300, 900, 3600],
              values: (_u, splits) => splits.map(clock),
            },
            { ...axis, size: 48, values: (_u, splits) => splits.map(compact) },
          ],
          series: [
            {},
            ...lines.map((l, i) => ({
              label: l.label,
              stroke: colors[i]!,
              width: 1.5,
              points: { show: false },
              value: (_u: uPlot, v: number | null) => (v == null ? '—' : `${v}${unit}`),
            })),
          ],
          hooks: {
            setData: [
              (u) => {
                u.series.forEach((s, i) => {
                  if (i === 0) return;
                  const vals = (u.data[i] ?? []) as (number | null)[];
                  const nums = vals.filter((v): v is number => v != null);
                  root.setAttribute(`data-peak-${String(s.label)}`, String(Math.max(0, ...nums)));
                  root.setAttribute(`data-last-${String(s.label)}`, String(nums.at(-1) ?? 0));
                });
              },
            ],
          },
        },
        aligned(endRef.current, lines),
        el,
      );
    };
    make();
    const resize = new ResizeObserver(() =>
      plot.current?.setSize({ width: Math.max(120, el.clientWidth), height: HEIGHT }),
    );
    resize.observe(el);
    const scheme = matchMedia(DARK);
    scheme.addEventListener('change', make);
    return () => {
      resize.disconnect();
      scheme.removeEventListener('change', make);
      plot.current?.destroy();
      plot.current = undefined;
    };
    // The lines' identity (labels) decides the chart; their values arrive through setData.
  }, [labels, span, unit]);

  useEffect(() => {
    plot.current?.setData(aligned(end, lines));
  });

  const now = lines.map((l) => `${l.label} ${l.values.at(-1) ?? 0}${unit}`).join(', ');
  return (
    <figure class="card chart" data-chart={name} ref={fig}>
      <figcaption>
        {title} <small data-now>{now}</small>
      </figcaption>
      <div
        class="plot"
        ref={box}
        role="img"
        aria-label={`${title}, last ${span / 60} minutes: ${now} now`}
      />
    </figure>
  );
}
