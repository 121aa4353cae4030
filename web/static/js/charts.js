// Small charts as hand-written SVG: no library, no network, text from the
// page's language. Each function returns an element; the numbers are also
// in data-* attributes and an aria-label, for tests and screen readers.
// Colours come from app.css (.chart .c0 … .c3).

const SVG = 'http://www.w3.org/2000/svg';

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/**
 * niceMax rounds a maximum up to 1, 2, 4, 6 or 8 × a power of ten (at
 * least 2), so the middle grid line of a count is a whole number.
 */
export function niceMax(v) {
  if (!(v > 2)) return 2;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 4, 6, 8, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

/**
 * lineChart draws series of counts over equal time steps: series is
 * [{label, values}], labels the x-axis texts of the first and last step.
 */
export function lineChart({ series, startLabel, endLabel, ariaLabel }) {
  const W = 640;
  const H = 200;
  const L = 36;
  const R = 8;
  const T = 10;
  const B = 24;
  const n = Math.max(1, ...series.map((x) => x.values.length));
  const top = niceMax(Math.max(0, ...series.flatMap((x) => x.values)));
  const x = (i) => L + (n === 1 ? 0 : (i * (W - L - R)) / (n - 1));
  const y = (v) => T + (H - T - B) * (1 - v / top);
  const grid = [0, top / 2, top].map((v) => s('g', { class: 'grid' },
    s('line', { x1: L, x2: W - R, y1: y(v), y2: y(v) }),
    s('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, Number.isInteger(v) ? v : v.toFixed(1))));
  const lines = series.map((ser, k) => s('polyline', {
    class: `line c${k}`, fill: 'none', 'data-series': ser.key || ser.label,
    points: ser.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' '),
  }));
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart-svg', role: 'img', 'aria-label': ariaLabel },
    ...grid,
    s('text', { class: 'axis', x: L, y: H - 6 }, startLabel),
    s('text', { class: 'axis', x: W - R, y: H - 6, 'text-anchor': 'end' }, endLabel),
    ...lines);
  const legend = document.createElement('div');
  legend.className = 'legend';
  series.forEach((ser, k) => {
    const item = document.createElement('span');
    item.className = `legend-item c${k}`;
    item.dataset.series = ser.key || ser.label;
    item.dataset.total = String(ser.values.reduce((a, b) => a + b, 0));
    item.append(s('svg', { viewBox: '0 0 10 10', class: 'swatch', 'aria-hidden': 'true' }, s('rect', { width: 10, height: 10, rx: 2 })), ser.label, ser.note ? ` · ${ser.note}` : '');
    legend.append(item);
  });
  return wrap('line', svg, legend);
}

/**
 * barChart draws one horizontal bar per item ([{label, value, text,
 * highlight}]), scaled to the largest; text is the value as shown.
 */
export function barChart(items, { ariaLabel } = {}) {
  const W = 640;
  const rowH = 30;
  const labelW = 170;
  const textW = 90;
  const top = Math.max(1, ...items.map((it) => it.value));
  const rows = items.map((it, i) => {
    const w = Math.max(it.value > 0 ? 2 : 0, ((W - labelW - textW) * it.value) / top);
    const yy = i * rowH;
    return s('g', { class: `bar-row${it.highlight ? ' highlight' : ''}`, 'data-value': it.value, 'data-label': it.label },
      s('text', { class: 'bar-label', x: labelW - 8, y: yy + rowH / 2 + 5, 'text-anchor': 'end' }, clip(it.label, 18)),
      s('rect', { class: `bar c${it.colour ?? i % 4}`, x: labelW, y: yy + 5, width: w.toFixed(1), height: rowH - 10, rx: 4 }),
      s('text', { class: 'bar-text', x: labelW + w + 6, y: yy + rowH / 2 + 5 }, it.text ?? String(it.value)));
  });
  const svg = s('svg', { viewBox: `0 0 ${W} ${Math.max(1, items.length) * rowH}`, class: 'chart-svg', role: 'img', 'aria-label': ariaLabel }, ...rows);
  return wrap('bars', svg);
}

/** donut draws done out of total as a ring with the share in the middle. */
export function donut(done, total, { label, ariaLabel } = {}) {
  const r = 40;
  const c = 2 * Math.PI * r;
  const f = total > 0 ? Math.min(1, done / total) : 0;
  const svg = s('svg', { viewBox: '0 0 100 100', class: 'chart-svg donut-svg', role: 'img', 'aria-label': ariaLabel },
    s('circle', { class: 'ring-bg', cx: 50, cy: 50, r, fill: 'none' }),
    s('circle', { class: 'ring c0', cx: 50, cy: 50, r, fill: 'none', 'stroke-dasharray': `${(f * c).toFixed(2)} ${c.toFixed(2)}`, transform: 'rotate(-90 50 50)' }),
    s('text', { class: 'ring-text', x: 50, y: 55, 'text-anchor': 'middle' }, `${Math.round(f * 100)}%`));
  const out = wrap('donut', svg, label ? Object.assign(document.createElement('div'), { className: 'donut-label', textContent: label }) : null);
  out.dataset.done = String(done);
  out.dataset.total = String(total);
  return out;
}

function wrap(kind, ...children) {
  const div = document.createElement('div');
  div.className = `chart chart-${kind}`;
  for (const c of children) if (c) div.append(c);
  return div;
}

function clip(text, n) {
  const a = Array.from(String(text));
  return a.length > n ? `${a.slice(0, n - 1).join('')}…` : a.join('');
}
