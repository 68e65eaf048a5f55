// cdsbot pages' shared drawing code, loaded before dashboard.js and province.js: elements, numbers, dates,
// changes, SVG bar-chart parts (axis, round scale, legend) and the fetch that shows its error; plain JS, no libraries.
"use strict";
const nf = new Intl.NumberFormat("vi-VN");
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
const fmtDate = (iso) => iso.slice(8, 10) + "/" + iso.slice(5, 7) + "/" + iso.slice(0, 4);
function change(n) {
  if (n === 0) return el("span", {text: "0"});
  return el("span", {class: n > 0 ? "up" : "down", text: (n > 0 ? "+" : "−") + nf.format(Math.abs(n))});
}

// The top of a bar chart's scale: four gridlines at a round step (1, 2, 5 × 10^k) reaching ``top``.
function roundMax(top) {
  const unit = 10 ** Math.floor(Math.log10(top / 4));
  return 4 * unit * [1, 2, 5, 10].find((k) => 4 * unit * k >= top);
}
function axis(box, w, h, pad, max) {
  const g = svg("g", {"aria-hidden": "true"});
  for (let i = 0; i <= 4; i++) {
    const y = h - pad.b - (h - pad.t - pad.b) * i / 4;
    g.append(svg("line", {x1: pad.l, x2: w - pad.r, y1: y, y2: y, stroke: "#dee2e6"}));
    g.append(svg("text", {x: pad.l - 4, y: y + 4, "text-anchor": "end"}, nf.format(Math.round(max * i / 4))));
  }
  box.append(g);
}
// A row of coloured squares with names above the chart: ``items`` is [[fill, name], …], ``step`` px apart.
function legend(box, x0, step, items) {
  const g = svg("g", {});
  items.forEach(([fill, name], i) => {
    g.append(svg("rect", {x: x0 + i * step, y: 6, width: 12, height: 12, fill}));
    g.append(svg("text", {x: x0 + i * step + 16, y: 16}, name));
  });
  box.append(g);
}

// Fetch ``url`` as JSON and draw it with ``render``; a failure (or a drawing error) shows in #error.
async function fetchInto(url, render) {
  $("error").hidden = true;
  try {
    const r = await fetch(url, {credentials: "same-origin", cache: "no-store"});
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(data.error || `Lỗi máy chủ (${r.status}).`);
    render(data);
  } catch (e) {
    $("error").textContent = "Không tải được số liệu: " + e.message;
    $("error").hidden = false;
    $("window").textContent = "";
  }
}
