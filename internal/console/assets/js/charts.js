// Small inline SVG charts, drawn from numbers with DOM calls (no library).
// Colours come from the style sheet's classes.

import { el, svg } from './dom.js';

const W = 640;

/**
 * niceMax rounds a maximum up to 1, 2, 4, 6 or 8 times a power of ten, so
 * that the middle grid line falls on a round number too; at least floor.
 */
export function niceMax(v, floor = 0) {
  const x = Math.max(v, floor);
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 4, 6, 8, 10]) if (x <= m * p * (1 + 1e-9)) return m * p;
  return 10 * p;
}

function frame(height, label) {
  return svg('svg', { viewBox: `0 0 ${W} ${height}`, role: 'img', 'aria-label': label, preserveAspectRatio: 'xMidYMid meet' },
    svg('title', {}, label));
}

// yAxis draws the grid lines and labels of a vertical scale.
function yAxis(g, { left, top, plotH, right, max, format }) {
  for (const f of [0, 0.5, 1]) {
    const y = top + plotH - f * plotH;
    g.append(svg('line', { class: f === 0 ? 'axis' : 'grid', x1: left, x2: right, y1: y, y2: y }));
    g.append(svg('text', { x: left - 6, y: y + 4, 'text-anchor': 'end' }, format(f * max)));
  }
}

function xLabels(g, { left, right, y, labels }) {
  const anchors = ['start', 'middle', 'end'];
  labels.forEach((text, i) => {
    const x = left + (i / (labels.length - 1)) * (right - left);
    g.append(svg('text', { x, y, 'text-anchor': anchors[Math.min(i, 2)] }, text));
  });
}

/**
 * columns draws one bar per value (a time series).
 * values: [{value, title}], xAxis: labels spread along the bottom.
 */
export function columns(values, { label, xAxis, format = String, height = 200 }) {
  const left = 44, right = W - 8, top = 10, bottom = 22;
  const plotH = height - top - bottom;
  const max = niceMax(Math.max(0, ...values.map((v) => v.value)), 2);
  const root = frame(height, label);
  yAxis(root, { left, top, plotH, right, max, format });
  const step = (right - left) / values.length;
  values.forEach((v, i) => {
    if (!(v.value > 0)) return;
    const h = (v.value / max) * plotH;
    root.append(svg('rect', { class: 'bar', x: left + i * step + 1, y: top + plotH - h, width: Math.max(1, step - 2), height: h },
      svg('title', {}, v.title)));
  });
  xLabels(root, { left, right, y: height - 6, labels: xAxis });
  return root;
}

/**
 * line draws a series with gaps where a value is null (e.g. no request in
 * that minute), with a dot per point.
 */
export function line(values, { label, xAxis, format = String, minMax = 0, height = 200 }) {
  const left = 44, right = W - 8, top = 10, bottom = 22;
  const plotH = height - top - bottom;
  const present = values.filter((v) => v.value !== null);
  const max = niceMax(Math.max(0, ...present.map((v) => v.value)), minMax);
  const root = frame(height, label);
  yAxis(root, { left, top, plotH, right, max, format });
  const step = (right - left) / values.length;
  const x = (i) => left + (i + 0.5) * step;
  const y = (v) => top + plotH - (v / max) * plotH;
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v.value === null) {
      pen = false;
      return;
    }
    d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)} ${y(v.value).toFixed(1)} `;
    pen = true;
  });
  if (d) root.append(svg('path', { class: 'line', d: d.trim() }));
  values.forEach((v, i) => {
    if (v.value === null) return;
    root.append(svg('circle', { class: 'dot', cx: x(i), cy: y(v.value), r: 2.5 }, svg('title', {}, v.title)));
  });
  xLabels(root, { left, right, y: height - 6, labels: xAxis });
  return root;
}

/** bars draws one labelled horizontal bar per entry ({name, value}). */
export function bars(entries, { label, empty, alt = false }) {
  if (entries.length === 0) return el('p', { class: 'empty' }, empty);
  const rowH = 26, labelW = 250, right = W - 50;
  const height = entries.length * rowH + 6;
  const max = Math.max(...entries.map((e) => e.value));
  const root = frame(height, label);
  entries.forEach((e, i) => {
    const y = 4 + i * rowH;
    const w = Math.max(2, (e.value / max) * (right - labelW));
    const name = e.name.length > 34 ? `${e.name.slice(0, 33)}…` : e.name;
    root.append(svg('text', { class: 'label', x: labelW - 8, y: y + 16, 'text-anchor': 'end' }, name, svg('title', {}, e.name)));
    root.append(svg('rect', { class: alt ? 'bar alt' : 'bar', x: labelW, y: y + 3, width: w, height: rowH - 8 },
      svg('title', {}, `${e.name}: ${e.value}`)));
    root.append(svg('text', { class: 'label', x: labelW + w + 6, y: y + 16 }, String(e.value)));
  });
  return root;
}
