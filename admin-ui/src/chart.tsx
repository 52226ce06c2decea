// A time-series chart drawn by uPlot (small, fast, canvas): the x axis is time in seconds, each
// series one line. Sized to its container and redrawn in place when the data changes.
import uPlot from 'uplot';
import { useEffect, useRef } from 'preact/hooks';
import { dateTime } from './format';
import { t } from './i18n/i18n';

const pad = (n: number) => String(n).padStart(2, '0');
/** Axis ticks as a 24-hour local clock; with the date when the chart spans days. */
function timeTicks(u: uPlot, splits: number[]): string[] {
  const span = (u.scales.x.max ?? 0) - (u.scales.x.min ?? 0);
  return splits.map((s) => {
    const d = new Date(s * 1000);
    const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    return span > 2 * 86400 ? `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}` : hm;
  });
}

export interface ChartSeries { label: string; color: string; values: (number | null)[]; fill?: boolean }

export interface ChartProps {
  /** Bucket start times, ms since epoch. */
  times: number[];
  series: ChartSeries[];
  height?: number;
  /** How a y value reads in the legend and on the axis. */
  format?: (v: number) => string;
  testid?: string;
  title: string;
}

export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = props.series.map((s) => `${s.label}|${s.color}`).join(',');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const fmt = props.format ?? ((v: number) => String(Math.round(v * 100) / 100));
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: props.height ?? 180,
      scales: { x: { time: true } },
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      series: [
        { label: t('chart.time'), value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? '—' : dateTime(v * 1000)) },
        ...props.series.map((s) => ({
          label: s.label, stroke: s.color, width: 1.5, fill: s.fill ? `${s.color}22` : undefined,
          value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? '—' : fmt(v)),
        })),
      ],
      axes: [
        { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.15)' }, values: timeTicks },
        { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.15)' }, size: 60, values: (_u, vals) => vals.map((v) => fmt(v)) },
      ],
    };
    const u = new uPlot(opts, data(props), el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: props.height ?? 180 }));
    ro.observe(el);
    return () => { ro.disconnect(); u.destroy(); plot.current = null; };
    // Rebuilt only when the series themselves change (labels, colours: the language); data updates below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape, props.height]);

  useEffect(() => { plot.current?.setData(data(props)); }, [props.times, props.series]);

  return (
    <figure class="chart" data-testid={props.testid}>
      <figcaption class="chart-title">{props.title}</figcaption>
      <div ref={box} class="chart-box" />
    </figure>
  );
}

function data(p: ChartProps): uPlot.AlignedData {
  return [p.times.map((t) => t / 1000), ...p.series.map((s) => s.values)] as uPlot.AlignedData;
}

/** A tiny line without axes, for a table cell (a key's requests over the last day). */
export function Sparkline(props: { values: number[]; color?: string; width?: number; height?: number; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = props.values.map((_, i) => i);
    const u = new uPlot({
      width: props.width ?? 90, height: props.height ?? 24, legend: { show: false }, cursor: { show: false },
      scales: { x: { time: false, range: [-0.5, props.values.length - 0.5] }, y: { range: [0, Math.max(1, ...props.values)] } }, axes: [{ show: false }, { show: false }],
      // Bars: a day with one busy hour reads as one bar, not as a line that jumps at the end.
      series: [{}, { stroke: props.color ?? '#2f6fde', width: 1, fill: `${props.color ?? '#2f6fde'}99`, points: { show: false }, paths: uPlot.paths.bars?.({ size: [0.8, 6] }) }],
    }, [xs, props.values], el);
    return () => u.destroy();
  }, [props.values.join(','), props.color]);
  return <div ref={box} class="sparkline" role="img" aria-label={props.label} />;
}
