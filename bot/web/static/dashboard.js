// cdsbot lead-office dashboard: fetches dashboard/api/summary and renders it (charts.js: the shared parts).
"use strict";
const STATE = {on_time: ["Đúng hạn", "ok"], late: ["Trễ hạn", "warn"], pending: ["Chưa gửi", "wait"],
  missing: ["Chưa gửi, quá hạn", "bad"], returned: ["Trả lại, chờ gửi lại", "bad"]};
const IND = {on_track: ["Đạt, đúng tiến độ", "ok"], at_risk: ["Có nguy cơ chậm", "warn"],
  off_track: ["Chậm tiến độ", "bad"], no_data: ["Chưa có số liệu", "none"]};
const REVIEW = {submitted: "chờ duyệt", accepted: "đã duyệt", returned: "bị trả lại"};
const STREAM_TITLE = {unit_monthly: "Các cơ quan, đơn vị", village_monthly: "Tổ công nghệ số cộng đồng các thôn"};
// a province office reading one of its communes: ?commune=<id> travels with every request
const COMMUNE = new URLSearchParams(location.search).get("commune");
const query = (key) => "?" + new URLSearchParams(Object.entries({period: key, commune: COMMUNE}).filter(([, v]) => v)).toString();

const badge = ([label, cls]) => el("span", {class: "badge " + cls, text: label});
function empty(target, text) { target.replaceChildren(el("li", {class: "empty", text})); }

function card(id, done, total, note) {
  const c = $(id);
  c.querySelector(".big").textContent = total === null ? done : `${done}/${total}`;
  const bar = c.querySelector(".bar i");
  if (bar) bar.style.width = (total ? Math.round(100 * done / total) : 0) + "%";
  const n = c.querySelector(".note");
  if (typeof note === "string") n.textContent = note; else n.replaceChildren(...note);
}

function renderStreams(data) {
  const box = $("streams");
  box.replaceChildren();
  for (const s of data.streams) {
    const ul = el("ul", {class: "units"});
    for (const u of s.units) {
      const extra = u.review && REVIEW[u.review] ? ` · ${REVIEW[u.review]}` : "";
      ul.append(el("li", {"data-unit": u.name}, el("span", {text: u.name + extra}), badge(STATE[u.state] || [u.state, "none"])));
    }
    if (!s.units.length) ul.append(el("li", {class: "empty", text: "Không có đơn vị nào phải báo cáo."}));
    box.append(el("div", {"data-stream": s.name}, el("h3", {text: `${STREAM_TITLE[s.name] || s.label}: ${s.submitted}/${s.expected} đã gửi`}), ul));
  }
}

function renderActivities(data) {
  const total = $("act-total").tBodies[0];
  total.replaceChildren();
  for (const a of data.activities.total) {
    total.append(el("tr", {"data-code": a.code}, el("td", {text: a.label}), el("td", {class: "n", text: nf.format(a.count)}),
      el("td", {class: "n", text: nf.format(a.previous)}), el("td", {class: "n"}, change(a.change))));
  }
  if (!data.activities.total.length) total.append(el("tr", {}, el("td", {colspan: "4", class: "empty", text: "Chưa có hoạt động nào được ghi."})));
  const byVillage = $("act-village").tBodies[0];
  byVillage.replaceChildren();
  let current = null;
  for (const a of data.activities.by_village) {
    if (a.village !== current) {
      current = a.village;
      byVillage.append(el("tr", {class: "group"}, el("td", {colspan: "3", text: a.village})));
    }
    byVillage.append(el("tr", {"data-village": a.village, "data-code": a.code}, el("td", {text: a.label}),
      el("td", {class: "n", text: nf.format(a.count)}), el("td", {class: "n", text: nf.format(a.previous)})));
  }
  if (!data.activities.by_village.length) byVillage.append(el("tr", {}, el("td", {colspan: "3", class: "empty", text: "Chưa có thôn nào ghi nhật ký."})));
}

function renderIndicators(data) {
  const ul = $("indicators");
  ul.replaceChildren();
  for (const i of data.indicators.items) {
    const meta = `Chỉ tiêu: ${i.target || "—"} · Kết quả: ${i.latest || "chưa có"}` + (i.reported_in ? ` (kỳ ${i.reported_in})` : "");
    let meter = null;
    if (i.percent_of_target !== null) {
      const fill = el("i", {class: (IND[i.status] || ["", "none"])[1]});
      fill.style.width = Math.min(100, i.percent_of_target) + "%";
      meter = el("div", {class: "meter", title: "so với chỉ tiêu"}, el("b", {}, fill),
        el("span", {text: `${nf.format(i.percent_of_target)}%`}));
    }
    ul.append(el("li", {"data-code": i.code}, badge(IND[i.status] || [i.status_label, "none"]), " ",
      el("strong", {text: `${i.code}. ${i.name}`}), el("span", {class: "meta", text: meta}), meter));
  }
  if (!data.indicators.items.length) empty(ul, "Kế hoạch chưa có chỉ tiêu nào.");
  const ov = $("overdue");
  ov.replaceChildren();
  for (const t of data.overdue_tasks) {
    ov.append(el("li", {}, el("strong", {text: `${t.code}. ${t.title}`}),
      el("span", {class: "meta", text: `Hạn: ${t.due_text} · Chủ trì: ${t.lead_units.join(", ") || "—"} · ${t.status_label}`})));
  }
  if (!data.overdue_tasks.length) empty(ov, "Không có nhiệm vụ nào quá hạn.");
}

function render(data) {
  const p = data.period;
  $("commune").textContent = "— " + data.commune;
  document.title = `Bảng theo dõi — ${data.commune}`;
  $("window").textContent = `Số liệu ${p.label}: từ ${fmtDate(p.start)} đến ${fmtDate(p.end)}; hạn gửi ${p.due_text}.`;
  const sel = $("period");
  sel.replaceChildren(...data.periods.map((x) => el("option", {value: x.key, text: x.label})));
  if (!data.periods.some((x) => x.key === p.key)) sel.prepend(el("option", {value: p.key, text: p.label}));
  sel.value = p.key;
  const [units, villages] = [data.streams.find((s) => s.name === "unit_monthly"), data.streams.find((s) => s.name === "village_monthly")];
  if (units) card("card-units", units.submitted, units.expected, `${units.on_time} đúng hạn, ${units.late} trễ hạn` +
    ((units.returned || []).length ? `, ${units.returned.length} trả lại` : ""));
  if (villages) card("card-villages", villages.submitted, villages.expected, `${villages.on_time} đúng hạn, ${villages.late} trễ hạn`);
  const counts = data.indicators.counts;
  card("card-indicators", counts.on_track, data.indicators.items.length,
    Object.entries(IND).filter(([k]) => counts[k]).map(([k, v]) => badge([`${counts[k]} ${v[0].toLowerCase()}`, v[1]])));
  card("card-tasks", data.tasks.overdue, null, `trong ${data.tasks.total} nhiệm vụ; ${data.tasks.done} đã hoàn thành; ` +
       `${data.tasks.lights.yellow} đến hạn trong 7 ngày (Vàng)`);
  renderStreams(data);
  renderActivities(data);
  renderIndicators(data);
  const q = query(p.key);
  for (const [id, name] of [["chart-act", "activities"], ["chart-ind", "indicators"]]) {
    $(id).src = `dashboard/chart/${name}.png${q}`;
    $(id).parentElement.href = $(id).src;
  }
  $("dl-xlsx").href = "dashboard/export.xlsx" + q;
  $("dl-docx").href = "dashboard/export.docx" + q;
  $("generated").textContent = data.generated_at.slice(11, 16) + " " + fmtDate(data.generated_at);
  document.body.dataset.loaded = p.key;
}

function load(key) {
  return fetchInto("dashboard/api/summary" + (query(key) === "?" ? "" : query(key)), render);
}

document.addEventListener("DOMContentLoaded", () => {
  const sel = $("period");
  sel.addEventListener("change", () => {
    history.replaceState(null, "", query(sel.value));
    load(sel.value);
  });
  if (COMMUNE) $("back").hidden = false;
  load(new URLSearchParams(location.search).get("period"));
});
