// A transaction's meter values as a line chart on SVG (no library): one
// measurand at a time against time, with its axes labelled in words; the
// values are also listed in a table beside it for screen readers.

const WIDTH = 640;
const HEIGHT = 260;
const LEFT = 70;
const RIGHT = 20;
const TOP = 20;
const BOTTOM = 40;
const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

// OCPP 1.6: a sampled value without a measurand is the energy register.
export const DEFAULT_MEASURAND = 'Energy.Active.Import.Register';

export function measurandOf(value) {
  return value.measurand || DEFAULT_MEASURAND;
}

// points: [{at: Date, value: number}] sorted by time; unit: 'Wh', ...
export function lineChart(points, { title, unit }) {
  const figure = document.createElement('figure');
  figure.className = 'chart';
  if (!points.length) {
    figure.append('No meter values.');
    return figure;
  }
  const times = points.map((p) => p.at.getTime());
  const values = points.map((p) => p.value);
  const t0 = Math.min(...times);
  const t1 = Math.max(t0 + 1000, Math.max(...times));
  let v0 = Math.min(...values);
  let v1 = Math.max(...values);
  if (v0 === v1) { v0 -= 1; v1 += 1; }
  const x = (t) => LEFT + ((t - t0) / (t1 - t0)) * (WIDTH - LEFT - RIGHT);
  const y = (v) => HEIGHT - BOTTOM - ((v - v0) / (v1 - v0)) * (HEIGHT - TOP - BOTTOM);

  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': `${title}: ${points.length} values from ${v0} to ${v1} ${unit}` });
  root.append(svg('rect', { x: LEFT, y: TOP, width: WIDTH - LEFT - RIGHT, height: HEIGHT - TOP - BOTTOM, class: 'chart-ground' }));
  for (const v of [v0, (v0 + v1) / 2, v1]) {
    root.append(svg('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: y(v), y2: y(v), class: 'chart-grid' }));
    root.append(svg('text', { x: LEFT - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'chart-label' }, `${Number(v.toFixed(2))}`));
  }
  for (const t of [t0, t1]) {
    root.append(svg('text', { x: x(t), y: HEIGHT - BOTTOM + 16, 'text-anchor': t === t0 ? 'start' : 'end', class: 'chart-label' },
      new Date(t).toLocaleTimeString()));
  }
  root.append(svg('text', { x: 4, y: TOP - 6, class: 'chart-label' }, unit));
  root.append(svg('text', { x: (LEFT + WIDTH - RIGHT) / 2, y: HEIGHT - 6, 'text-anchor': 'middle', class: 'chart-label' }, 'time'));
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.at.getTime()).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  root.append(svg('path', { d: path, class: 'chart-line' }));
  for (const p of points) {
    root.append(svg('circle', { cx: x(p.at.getTime()), cy: y(p.value), r: 3, class: 'chart-point' },
      svg('title', {}, `${p.at.toLocaleString()}: ${p.value} ${unit}`)));
  }
  figure.append(root);
  const caption = document.createElement('figcaption');
  caption.textContent = `${title} (${unit}) over time, ${points.length} values.`;
  figure.append(caption);
  return figure;
}
