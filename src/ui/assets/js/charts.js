// Charts: uPlot for time series (fast with thousands of points), a plain
// canvas for the overview's sparklines (hundreds of them on one page).
import uPlot from '../vendor/uPlot.esm.js';

const COLORS = ['#2563eb', '#f97316', '#16a34a', '#9333ea'];

/**
 * A time-series chart in `el`; `data` is [times (s), ...series values];
 * `span` [from, to] (s) fixes the time axis to the requested range, so a
 * range with few points still shows as that range. Returns {destroy()};
 * the chart follows the element's width.
 */
export function timeChart(el, labels, data, { height = 260, span = null } = {}) {
  const opts = {
    width: Math.max(el.clientWidth, 300),
    height,
    series: [{}, ...labels.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true }))],
    axes: [{}, { size: 60 }],
    scales: { x: span ? { time: true, range: () => span } : { time: true } },
    legend: { show: labels.length > 1 },
  };
  const plot = new uPlot(opts, data, el);
  const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(el.clientWidth, 300), height }));
  resize.observe(el);
  return {
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}

/** A small line of `values` on `canvas`, scaled to its own range. */
export function sparkline(canvas, values) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 160;
  const height = canvas.clientHeight || 36;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  const ctx = canvas.getContext('2d');
  ctx.scale(ratio, ratio);
  const points = values.filter((v) => Number.isFinite(v));
  if (points.length === 0) return;
  const min = Math.min(...points);
  const span = Math.max(...points) - min || 1;
  ctx.strokeStyle = COLORS[0];
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  const x = (i) => (i / (points.length - 1)) * (width - 2) + 1;
  const y = (v) => height - 2 - ((v - min) / span) * (height - 4);
  // One value draws as a level line: the index as it stood all along.
  const line = points.length === 1 ? [[1, height / 2], [width - 1, height / 2]] : points.map((v, i) => [x(i), y(v)]);
  line.forEach(([px, py], i) => (i === 0 ? ctx.moveTo(px, py) : ctx.lineTo(px, py)));
  ctx.stroke();
}
