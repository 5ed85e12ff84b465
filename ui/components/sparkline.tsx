/**
 * A line chart of one series as inline SVG: no charting library is installed (uPlot is not
 * in node_modules), and a polyline is all a last-minutes sparkline needs. The SVG carries
 * its own text alternative (the last value and the peak).
 */
export function Sparkline({
  values,
  label,
  unit = '',
  width = 300,
  height = 60,
  span = 0,
}: {
  values: number[];
  label: string;
  unit?: string;
  width?: number;
  height?: number;
  /** Points the x axis spans (fewer values are drawn at its right end). */
  span?: number;
}) {
  const max = Math.max(1, ...values);
  // Right-aligned on a fixed window, so a chart opened a minute ago fills from the right.
  const n = Math.max(2, span, values.length);
  const off = n - values.length;
  const pts = values
    .map(
      (v, i) =>
        `${(((i + off) / (n - 1)) * width).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`,
    )
    .join(' ');
  const last = values.at(-1) ?? 0;
  return (
    <figure class="card chart" data-chart={label} data-peak={Math.max(0, ...values)}>
      <figcaption>
        {label} <strong data-last>{last}</strong>
        {unit} <small>peak {max === 1 && !values.some((v) => v) ? 0 : max}</small>
      </figcaption>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`${label}: ${last}${unit} now, peak ${max} over the last ${values.length} s`}
      >
        <line
          class="base"
          x1="0"
          x2={width}
          y1={height - 1}
          y2={height - 1}
          vector-effect="non-scaling-stroke"
        />
        <polyline
          points={pts}
          fill="none"
          stroke="currentColor"
          stroke-width="1.5"
          vector-effect="non-scaling-stroke"
        />
      </svg>
    </figure>
  );
}
