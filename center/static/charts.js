// Small SVG charts drawn in the page (no chart library, no CDN): grouped bars and sparklines.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function niceMax(value) {
  if (!(value > 0)) return 1;
  const step = Math.pow(10, Math.floor(Math.log10(value)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= value) return m * step;
  return 10 * step;
}

// Grouped bars: one group per row, one bar per series ({key, label, color}); nulls are gaps.
// `integer` keeps the axis on whole numbers (counts of people).
function barChart(rows, series, {title = "", unit = "", width = 520, height = 280, format = (v) => v, integer = false} = {}) {
  const left = 48, right = 12, top = title ? 34 : 12, bottom = 50;
  const plotW = width - left - right, plotH = height - top - bottom;
  const values = rows.flatMap((r) => series.map((s) => r[s.key])).filter((v) => v !== null && v !== undefined);
  const max = integer ? Math.max(4, Math.ceil(niceMax(Math.max(0, ...values)) / 4) * 4) : niceMax(Math.max(0, ...values));
  const chart = svg("svg", {viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": title});
  if (title) chart.append(svg("text", {x: left, y: 18, class: "chart-title"}, title + (unit ? `（${unit}）` : "")));
  for (let i = 0; i <= 4; i++) {
    const y = top + plotH - (plotH * i) / 4;
    chart.append(svg("line", {x1: left, x2: width - right, y1: y, y2: y, class: "grid"}));
    chart.append(svg("text", {x: left - 6, y: y + 4, class: "axis", "text-anchor": "end"}, format(+(max * i / 4).toFixed(2))));
  }
  const groupW = plotW / Math.max(rows.length, 1);
  const barW = Math.max(3, Math.min(28, (groupW * 0.8) / series.length));
  rows.forEach((row, g) => {
    const x0 = left + g * groupW + (groupW - barW * series.length) / 2;
    series.forEach((s, i) => {
      const v = row[s.key];
      if (v === null || v === undefined) return;
      const h = (plotH * v) / max;
      const bar = svg("rect", {x: x0 + i * barW, y: top + plotH - h, width: barW - 1, height: Math.max(h, 0.5),
        fill: s.color, class: "bar"});
      bar.append(svg("title", {}, `${row.label} ${s.label}: ${format(v)}${unit}`));
      chart.append(bar);
    });
    const label = String(row.label).length > 8 ? String(row.label).slice(0, 7) + "…" : row.label;
    chart.append(svg("text", {x: left + g * groupW + groupW / 2, y: top + plotH + 18, class: "axis",
      "text-anchor": "middle"}, label));
  });
  series.forEach((s, i) => {
    const x = left + i * 112;
    chart.append(svg("rect", {x, y: height - 14, width: 12, height: 12, fill: s.color}));
    chart.append(svg("text", {x: x + 16, y: height - 4, class: "legend"}, s.label));
  });
  return chart;
}

// A sparkline of one metric's recent values (gaps where a sample lacked it).
function sparkline(values, {width = 120, height = 28} = {}) {
  const known = values.filter((v) => v !== null && v !== undefined);
  const line = svg("svg", {viewBox: `0 0 ${width} ${height}`, class: "spark", width, height});
  if (known.length < 2) return line;
  const min = Math.min(...known), max = Math.max(...known), span = max - min || 1;
  const step = width / (values.length - 1);
  let d = "", pen = false;
  values.forEach((v, i) => {
    if (v === null || v === undefined) { pen = false; return; }
    const x = (i * step).toFixed(1), y = (height - 3 - ((v - min) / span) * (height - 6)).toFixed(1);
    d += `${pen ? "L" : "M"}${x},${y} `;
    pen = true;
  });
  line.append(svg("path", {d, class: "spark-line"}));
  return line;
}
