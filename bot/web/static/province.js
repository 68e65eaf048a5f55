// cdsbot province page: fetches api/province/<id>/overview and draws the grid, ranking and SVG charts
// (charts.js: the shared parts).
"use strict";
const COLOUR_FILL = {red: "#c92a2a", yellow: "#fcc419", green: "#2b8a3e"};
const short = (key) => key.slice(5) + "/" + key.slice(0, 4);
const cell = (colour, label) => el("span", {class: "cell c-" + colour, text: label});
const communeLink = (r) => el("a", {href: "../dashboard?commune=" + r.commune_id}, r.commune);

function renderGrid(data, labels) {
  const head = $("grid").tHead.rows[0];
  head.replaceChildren(el("th", {scope: "col", text: "Xã"}),
    ...data.months.map((m) => el("th", {scope: "col", "data-month": m.key, title: m.label}, short(m.key))));
  const body = $("grid").tBodies[0];
  body.replaceChildren();
  for (const row of data.grid) {
    const tr = el("tr", {"data-commune": row.commune}, el("th", {scope: "row"}, communeLink(row)));
    for (const c of row.cells) {
      const detail = `${row.commune}, tháng ${short(c.month)}: ${c.label}; đơn vị ${c.units.submitted}/${c.units.expected}` +
        `, tổ CNS ${c.villages.submitted}/${c.villages.expected}, nhiệm vụ quá hạn ${c.overdue_tasks}`;
      tr.append(el("td", {"data-month": c.month, "data-colour": c.colour, title: detail}, cell(c.colour, c.label)));
    }
    body.append(tr);
  }
  if (!data.grid.length) body.append(el("tr", {}, el("td", {class: "empty", colspan: String(data.months.length + 1),
    text: "Tỉnh chưa có xã nào."})));
  $("legend").replaceChildren(...data.colours.map((c) => cell(c.colour, labels[c.colour])));
  $("rule").textContent = data.rule;
}

function renderRanking(data, month) {
  $("ranking-title").textContent = `Xếp hạng các xã ${month.label} (xã chậm trước)`;
  const body = $("ranking").tBodies[0];
  body.replaceChildren(...data.ranking.map((r) => el("tr", {"data-commune": r.commune},
    el("td", {class: "n", text: String(r.rank)}), el("td", {}, communeLink(r)), el("td", {}, cell(r.colour, r.label)),
    el("td", {class: "n", text: `${r.units.submitted}/${r.units.expected}`}),
    el("td", {class: "n", text: `${r.villages.submitted}/${r.villages.expected}`}),
    el("td", {class: "n", text: nf.format(r.overdue_tasks)}),
    el("td", {class: "n", text: nf.format(r.missing_after_deadline)}))));
}

function activityChart(data) {
  const w = 480, h = 280, pad = {l: 40, r: 10, t: 28, b: 28};
  const months = data.by_month;
  const top = Math.max(4, ...months.map((m) => Math.max(m.activity_total, m.previous_total)));
  const max = roundMax(top);
  const box = svg("svg", {viewBox: `0 0 ${w} ${h}`, role: "img", id: "svg-activities",
    "aria-label": "Hoạt động của các tổ công nghệ số theo tháng: " +
      months.map((m) => `${m.label} ${nf.format(m.activity_total)} (kỳ trước ${nf.format(m.previous_total)})`).join("; ")});
  axis(box, w, h, pad, max);
  const slot = (w - pad.l - pad.r) / months.length, bw = Math.min(28, slot / 3);
  months.forEach((m, i) => {
    const x0 = pad.l + slot * i + slot / 2;
    for (const [j, v, fill, name] of [[-1, m.previous_total, "#adb5bd", "kỳ trước"], [0, m.activity_total, "#0068ff", "kỳ này"]]) {
      const bh = (h - pad.t - pad.b) * v / max;
      const bar = svg("rect", {x: x0 + j * bw, y: h - pad.b - bh, width: bw - 2, height: bh, fill,
        class: "abar", "data-month": m.month, "data-series": name});
      bar.append(svg("title", {}, `${m.label}, ${name}: ${nf.format(v)}`));
      box.append(bar);
      box.append(svg("text", {x: x0 + j * bw + (bw - 2) / 2, y: h - pad.b - bh - 3, "text-anchor": "middle"}, nf.format(v)));
    }
    box.append(svg("text", {x: x0, y: h - 8, "text-anchor": "middle"}, short(m.month)));
  });
  legend(box, pad.l, 90, [["#adb5bd", "Kỳ trước"], ["#0068ff", "Kỳ này"]]);
  $("chart-activities").replaceChildren(box);
  $("table-activities").tBodies[0].replaceChildren(...months.map((m) => el("tr", {"data-month": m.month},
    el("td", {text: m.label}), el("td", {class: "n", text: nf.format(m.activity_total)}),
    el("td", {class: "n", text: nf.format(m.previous_total)}), el("td", {class: "n"}, change(m.activity_total - m.previous_total)))));
}

function kindsTable(data) {
  const m = data.by_month[data.by_month.length - 1];
  $("kinds-title").textContent = `Theo loại hoạt động, ${m.label}`;
  const codes = Object.keys(data.activity_labels).filter((c) => m.activities[c] || m.activities_previous[c])
    .sort((a, b) => (m.activities[b] || 0) - (m.activities[a] || 0) || a.localeCompare(b));
  const body = $("act-kinds").tBodies[0];
  body.replaceChildren(...codes.map((c) => {
    const [now, before] = [m.activities[c] || 0, m.activities_previous[c] || 0];
    return el("tr", {"data-code": c}, el("td", {text: data.activity_labels[c]}), el("td", {class: "n", text: nf.format(now)}),
      el("td", {class: "n", text: nf.format(before)}), el("td", {class: "n"}, change(now - before)));
  }));
  if (!codes.length) body.append(el("tr", {}, el("td", {colspan: "4", class: "empty", text: "Chưa có hoạt động nào được ghi."})));
}

function colourChart(data, labels) {
  const w = 480, h = 280, pad = {l: 40, r: 10, t: 28, b: 28};
  const months = data.by_month;
  const box = svg("svg", {viewBox: `0 0 ${w} ${h}`, role: "img", id: "svg-colours",
    "aria-label": "Tỷ lệ xã theo màu: " + months.map((m) =>
      `${m.label}: ${m.counts.red} ${labels.red}, ${m.counts.yellow} ${labels.yellow}, ${m.counts.green} ${labels.green}`).join("; ")});
  axis(box, w, h, pad, 100);
  const slot = (w - pad.l - pad.r) / months.length, bw = Math.min(48, slot * 0.6);
  months.forEach((m, i) => {
    const total = m.counts.red + m.counts.yellow + m.counts.green;
    const x = pad.l + slot * i + (slot - bw) / 2;
    let y = h - pad.b;
    for (const c of ["green", "yellow", "red"]) {
      if (!total || !m.counts[c]) continue;
      const bh = (h - pad.t - pad.b) * m.counts[c] / total;
      y -= bh;
      const seg = svg("rect", {x, y, width: bw, height: bh, fill: COLOUR_FILL[c], class: "seg", "data-month": m.month, "data-colour": c});
      seg.append(svg("title", {}, `${m.label}: ${m.counts[c]} xã ${labels[c]} (${Math.round(100 * m.counts[c] / total)}%)`));
      box.append(seg);
      if (bh >= 14) box.append(svg("text", {x: x + bw / 2, y: y + bh / 2 + 4, "text-anchor": "middle",
        class: c === "yellow" ? "" : "on-dark"}, String(m.counts[c])));
    }
    box.append(svg("text", {x: x + bw / 2, y: h - 8, "text-anchor": "middle"}, short(m.month)));
  });
  legend(box, pad.l, 80, ["red", "yellow", "green"].map((c) => [COLOUR_FILL[c], labels[c]]));
  $("chart-colours").replaceChildren(box);
  $("table-colours").tBodies[0].replaceChildren(...months.map((m) => el("tr", {"data-month": m.month},
    el("td", {text: m.label}), ...["red", "yellow", "green"].map((c) => el("td", {class: "n", text: String(m.counts[c])})))));
}

function render(data) {
  const labels = Object.fromEntries(data.colours.map((c) => [c.colour, c.label]));
  const month = data.months[data.months.length - 1], counts = data.by_month[data.by_month.length - 1].counts;
  $("province").textContent = "— " + data.province.name;
  document.title = `Bảng theo dõi — ${data.province.name}`;
  $("window").textContent = `${data.months.length} tháng, từ ${data.months[0].label} đến ${month.label}` +
    ` (hạn gửi ${fmtDate(month.due)}).`;
  for (const c of ["red", "yellow", "green"]) $("card-" + c).querySelector(".big").textContent = nf.format(counts[c]);
  $("card-total").querySelector(".big").textContent = nf.format(data.grid.length);
  $("card-total").querySelector(".note").textContent = month.label;
  renderGrid(data, labels);
  renderRanking(data, month);
  activityChart(data);
  kindsTable(data);
  colourChart(data, labels);
  $("generated").textContent = data.generated_at.slice(11, 16) + " " + fmtDate(data.generated_at);
  document.body.dataset.loaded = `${data.months.length}:${month.key}`;
}

function load(months) {
  const id = document.body.dataset.province;
  return fetchInto(`api/province/${encodeURIComponent(id)}/overview?months=${encodeURIComponent(months)}`, render);
}

document.addEventListener("DOMContentLoaded", () => {
  const sel = $("months");
  const asked = new URLSearchParams(location.search).get("months");
  if (asked && [...sel.options].some((o) => o.value === asked)) sel.value = asked;
  sel.addEventListener("change", () => {
    history.replaceState(null, "", "?months=" + encodeURIComponent(sel.value));
    load(sel.value);
  });
  load(sel.value);
});
