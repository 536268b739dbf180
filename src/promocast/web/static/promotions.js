"use strict";
// The promotions page (scorecard, what-if, plan calendar, advice). Loaded before app.js,
// whose helpers ($, api, runJob, plot, table, kpis, T, ...) these functions call when the
// page runs, and whose PAGES table names promotionsPage.

/* Rows with their mechanism in the page's language (the API keeps the ids: gift, percent_off). */
const mechanism = (id) => (T("mechanism." + id) === "mechanism." + id ? id : T("mechanism." + id));
const named = (rows) => rows.map((r) => Object.assign({}, r, { promo_type: mechanism(r.promo_type) }));

async function scorecard() {
  const res = await api("GET", "/api/promo/evaluate");
  if (!res.ok) { $("#score-table").innerHTML = `<p class="note">${esc(T("promo.no_evaluation"))}</p>`; return; }
  const rows = res.data.promotions;
  const margin = rows.reduce((s, r) => s + (r.incremental_margin || 0), 0);
  const losing = rows.filter((r) => r.roi !== null && r.roi < 0).length;
  kpis($("#score-kpis"), [
    [T("promo.evaluated"), fmt(rows.length)],
    [T("col.incremental_units"), fmt(rows.reduce((s, r) => s + (r.incremental_units || 0), 0))],
    [T("col.incremental_margin"), fmt(margin)],
    [T("promo.losing"), `${fmt(losing)} (${pct(losing / Math.max(rows.length, 1), 0)})`],
  ]);
  const types = [...new Set(rows.map((r) => r.promo_type))];
  plot($("#score-chart"), [{
    type: "box", x: rows.map((r) => T("mechanism." + r.promo_type)), y: rows.map((r) => r.roi), boxpoints: "all", jitter: 0.4,
    marker: { color: "#2e86ab", size: 4 }, name: "ROI", text: rows.map((r) => r.promo_id),
  }], { title: { text: T("promo.roi_by_mechanism"), font: { size: 13 } }, yaxis: { tickformat: ".0%", zeroline: true }, hovermode: "closest",
    xaxis: { categoryorder: "array", categoryarray: types.map((t) => T("mechanism." + t)) } });
  // a promotion whose gain lies inside the baseline's own noise band is marked (ranked last)
  const marked = named(rows).map((r) => Object.assign({}, r, { noise: r.within_noise ? T("promo.within_noise") : "" }));
  $("#score-table").innerHTML = table(marked, ["rank", "promo_id", "promo_type", "item_id", "category", "start", "end",
    "baseline_units", "actual_units", "incremental_units", "incremental_margin", "roi", "noise"], { id: "scorecard-table", limit: 30 });
  if (!res.data.current) $("#evaluate-status").textContent = T("promo.stale");
}

/* The what-if's effect on the category's other items as a KPI: ``other_items_incremental_units``
   is what they gain (+, a halo) or lose (-, cannibalised), signed as the API gives it; the
   words say which, so a gain never reads as units taken. */
function otherItems(total) {
  const units = total ? total.expected : 0;
  const shown = Math.abs(units) < 0.05 ? 0 : units;
  const sign = shown > 0 ? "+" : shown < 0 ? "-" : "";
  const meaning = shown > 0 ? "halo" : shown < 0 ? "cannibalised" : "none";
  return [T("promo.other_items"), `${sign}${fmt(Math.abs(shown), 1)}`, T("promo.other_items_" + meaning)];
}

let whatIfSeq = 0;

async function whatIf() {
  const seq = ++whatIfSeq;
  const item = $("#whatif-item").value;
  if (!item) return;
  const start = $("#whatif-start").value;
  const shop = shopPeriod();
  // the length counts the shop's periods: the promotion ends on the last day of its last period
  const length = Number($("#whatif-days").value || shop.promotion_length);
  const end = addPeriods(addPeriods(start, length, shop.unit), -1, "day");
  const row = { item_id: item, promo_type: $("#whatif-type").value, start_date: start, end_date: end };
  const depth = Number($("#whatif-depth").value);
  if (row.promo_type !== "feature_display") row.discount_pct = depth;
  if ($("#whatif-store").value) row.store_id = $("#whatif-store").value;
  const status = $("#whatif-status");
  status.textContent = T("promo.simulating");
  const res = await api("POST", "/api/promo/simulate", { scenario: [row], samples: 500 });
  if (seq !== whatIfSeq) return; // a newer what-if was asked meanwhile: show that one only
  if (!res.ok) {
    status.textContent = res.data.error;
    return;
  }
  const d = res.data;
  status.textContent = T("promo.simulated", { s: fmt(d.seconds, 2) });
  const range = (k) => `${T("promo.range90")} ${fmt(d.totals[k]["q0.05"])} … ${fmt(d.totals[k]["q0.95"])}`;
  kpis($("#whatif-kpis"), [
    [T("col.incremental_units"), fmt(d.totals.incremental_units.expected), range("incremental_units")],
    [T("col.incremental_revenue"), fmt(d.totals.incremental_revenue.expected), range("incremental_revenue")],
    [T("col.incremental_margin"), fmt(d.totals.incremental_margin.expected), range("incremental_margin")],
    otherItems(d.totals.other_items_incremental_units),
  ]);
  const mine = d.days.filter((r) => r.item_id === item);
  const dates = [...new Set(mine.map((r) => r.ds))].sort();
  const sum = (key) => dates.map((x) => mine.filter((r) => r.ds === x).reduce((s, r) => s + (r[key] || 0), 0));
  const title = { text: T("promo.whatif_chart_" + (shop.unit || "day"), { item }), font: { size: 13 } };
  if (dates.length < 3) {
    // a promotion of one or two weeks / months: bars per period (a line through one point
    // drew a time axis in milliseconds)
    const withPromo = sum("units"), hi = sum("units-q0.95"), lo = sum("units-q0.05");
    plot($("#whatif-chart"), [
      { x: dates, y: sum("baseline_units"), name: T("col.baseline_units"), type: "bar", marker: { color: "#8fa3bf" } },
      { x: dates, y: withPromo, name: T("promo.with_promotion"), type: "bar", marker: { color: "#e67e22" },
        error_y: { type: "data", symmetric: false, array: hi.map((v, k) => v - withPromo[k]),
          arrayminus: lo.map((v, k) => withPromo[k] - v), color: "#a04000" } },
    ], { title, barmode: "group", xaxis: { type: "category" } });
  } else {
    plot($("#whatif-chart"), [
      { x: dates, y: sum("units-q0.95"), type: "scatter", mode: "lines", line: { width: 0 }, showlegend: false, hoverinfo: "skip" },
      { x: dates, y: sum("units-q0.05"), type: "scatter", mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: "rgba(230,126,34,0.18)", name: T("promo.band90") },
      { x: dates, y: sum("baseline_units"), name: T("col.baseline_units"), type: "scatter", mode: "lines", line: { color: "#1f3a5f", dash: "dot" } },
      { x: dates, y: sum("units"), name: T("promo.with_promotion"), type: "scatter", mode: "lines+markers", line: { color: "#e67e22", width: 3 } },
    ], { title });
  }
  Object.assign($("#whatif-chart").dataset, { incremental: String(d.totals.incremental_units.expected),
    item, depth: String(row.discount_pct ?? 0), type: row.promo_type, periods: String(dates.length) });
  $("#whatif-warnings").innerHTML = d.warnings.slice(0, 6).map((w) => `<li class="warn">${esc(w.message)}</li>`).join("");
}

const CALENDAR_ROWS = 40;
/* The calendar's rows: the item x store rows with the most expected margin, at most
   CALENDAR_ROWS of them (Dominick's OJ plans 1,824 promotions over 913 rows: a chart 20,000
   pixels tall, its dates out of sight); the table and the exports hold every promotion. */
function planCalendar(plan) {
  const label = (r) => `${r.item_id} · ${r.store_id}`;
  const worth = new Map();
  for (const r of plan.promotions) worth.set(label(r), (worth.get(label(r)) || 0) + (r.expected_incremental_margin || 0));
  const kept = new Set([...worth.entries()].sort((a, b) => b[1] - a[1]).slice(0, CALENDAR_ROWS).map(([k]) => k));
  const rows = plan.promotions.filter((r) => kept.has(label(r)));
  const labels = rows.map(label);
  const types = [...new Set(rows.map((r) => r.promo_type))];
  const traces = types.map((t, i) => {
    const part = rows.filter((r) => r.promo_type === t);
    return {
      type: "bar", orientation: "h", name: T("mechanism." + t), y: part.map((r) => `${r.item_id} · ${r.store_id}`),
      base: part.map((r) => r.start_date),
      x: part.map((r) => (new Date(r.end_date) - new Date(r.start_date)) + 86400000),
      marker: { color: COLORS[(i + 1) % COLORS.length] },
      text: part.map((r) => (r.discount_pct ? `${fmt(r.discount_pct)} %` : "")), textposition: "inside",
      hovertext: part.map((r) => `${r.item_id} ${T("mechanism." + r.promo_type)} ${r.start_date}…${r.end_date}: +${fmt(r.expected_incremental_margin)}`),
      hoverinfo: "text",
    };
  });
  plot($("#plan-calendar"), traces, { barmode: "overlay", xaxis: { type: "date" }, hovermode: "closest",
    yaxis: { automargin: true, categoryorder: "array", categoryarray: [...new Set(labels)].sort().reverse() },
    height: Math.max(320, 22 * new Set(labels).size + 120),
    title: { text: worth.size > kept.size ? T("promo.calendar_top", { shown: fmt(kept.size), total: fmt(worth.size) }) : T("promo.calendar"), font: { size: 13 } } });
  $("#plan-calendar").dataset.rows = String(kept.size);
}

// the reason in the page's language: the explanation's zh text when the plan has one
function whyNotDeeper(e) {
  if (!e || !e.why_not_deeper) return "";
  return window.LANG === "zh" && e.zh && e.zh.why_not_deeper ? e.zh.why_not_deeper : e.why_not_deeper.text;
}

// a plan's caveat or note in the page's language: its zh text (plan_words) when the plan
// has one, else the English (plans kept before)
const planZh = (r) => (window.LANG === "zh" && r && r.zh) || {};
const planCaveat = (p) => planZh(p).caveat || p.caveat || "";
const planNotes = (plan) => (plan.notes || []).map((n, i) => (planZh(plan).notes || [])[i] || n);
// the mechanisms left out of the plan (or given the rules' lift), which items and why: the
// reason's zh.why in Chinese (plan_lifts), the same numbers in both languages
const planLeftOut = (plan) => (plan.left_out || []).map((s) => T(
  s.rules_lift === null || s.rules_lift === undefined ? "promo.left_out" : "promo.left_out_rules",
  { mechanism: mechanism(s.mechanism), n: fmt(s.series), items: (s.items || []).join(", "),
    lift: `${s.rules_lift >= 0 ? "+" : ""}${fmt(s.rules_lift, 2)}`, why: planZh(s).why || s.why || "" }));

function showPlan(plan) {
  kpis($("#plan-kpis"), [
    [T("promo.status"), `${plan.status} · gap ${pct(plan.gap || 0, 2)}`],
    [T("col.expected_incremental_margin"), fmt(plan.expected_incremental_margin)],
    [T("promo.budget_used"), `${fmt(plan.budget_used)} / ${fmt(plan.budget)}`],
    [T("promo.planned"), fmt(plan.promotions.length)],
  ]);
  if (plan.promotions.length) planCalendar(plan);
  $("#plan-table").innerHTML = table(named(plan.promotions).map((p) => Object.assign({}, p, {
    why: whyNotDeeper(p.explanation), caveat: planCaveat(p) })),
  ["item_id", "store_id", "promo_type", "discount_pct", "start_date", "end_date", "baseline_units", "expected_units", "expected_incremental_margin", "chance_profitable", "why", "caveat"],
  { id: "plan-promotions", limit: 100 });
  $("#plan-left-out").innerHTML = planLeftOut(plan).map((n) => `<li>${esc(n)}</li>`).join("");
  $("#plan-notes").innerHTML = planNotes(plan).map((n) => `<li>${esc(n)}</li>`).join("");
}

async function advice() {
  const res = await api("GET", "/api/promo/advice");
  const list = $("#advice-list");
  if (!res.ok) { list.innerHTML = `<li class="note">${esc(T("promo.no_advice"))}</li>`; return; }
  list.innerHTML = res.data.advice.slice(0, 30).map((a) => {
    const text = window.LANG === "zh" && a.zh ? a.zh : a;
    const gain = a.expected_gain === null ? "" : ` <b class="${a.expected_gain >= 0 ? "up" : "down"}">${a.expected_gain >= 0 ? "+" : ""}${fmt(a.expected_gain)} ${esc(text.gain_unit)}</b>`;
    return `<li class="${a.confident ? "" : "uncertain"}"><span class="tag">${esc(a.subject)}</span> ${esc(text.action)}${gain}<br><small>${esc(text.reason)}</small></li>`;
  }).join("") + (res.data.notes || []).map((n) => `<li class="note">${esc(window.LANG === "zh" ? n.zh : n.en)}</li>`).join("");
}

let planAsked = false;

async function promotionsPage() {
  // Listeners first, before any await: a click must never fall through to a native submit.
  const itemSelect = $("#whatif-item");
  const fillStores = async () => {
    const res = await api("GET", `/api/series?q=${encodeURIComponent(itemSelect.value)}&limit=1`);
    const stores = res.ok && res.data.series.length ? res.data.series[0].stores.split(",") : [];
    $("#whatif-store").innerHTML = `<option value="">${esc(T("promo.all_stores"))}</option>` + stores.map((s) => `<option>${esc(s)}</option>`).join("");
  };
  const rerun = debounce(whatIf, 300);
  itemSelect.addEventListener("change", async () => { await fillStores(); rerun(); });
  for (const el of $("#whatif-form").querySelectorAll("input, select")) {
    if (el !== itemSelect) { el.addEventListener("change", rerun); el.addEventListener("input", rerun); }
  }
  $("#whatif-form").addEventListener("submit", (e) => { e.preventDefault(); whatIf(); });
  $("#plan-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = new FormData(event.target);
    const depths = String(f.get("depths")).split(",").map(Number).filter((v) => v > 0 && v <= 90);
    const grid = {};
    const usual = { flash_sale: [40], threshold: [10], gift: [15], feature_display: [0] };
    for (const m of f.getAll("mechanism")) grid[m] = m === "percent_off" ? depths : usual[m];
    const rules = { grid, min_gap_periods: Number(f.get("min_gap_periods")), objective: f.get("objective") };
    // a revenue plan may keep its incremental margin above a floor (rules.margin_floor)
    if (rules.objective === "revenue" && String(f.get("margin_floor")).trim() !== "") rules.margin_floor = Number(f.get("margin_floor"));
    if (Number(f.get("max_per_category_period")) > 0) rules.max_per_category_period = Number(f.get("max_per_category_period"));
    const button = $("#plan-button");
    button.disabled = true;
    planAsked = true;
    const plan = await runJob("/api/promo/plan", { horizon: Number(f.get("horizon")), budget: Number(f.get("budget")), rules }, $("#plan-status"));
    button.disabled = false;
    if (plan) showPlan(plan);
  });
  const objective = $("#plan-objective");
  objective.addEventListener("change", () => { $("#plan-margin-floor").hidden = objective.value !== "revenue"; });
  $("#run-evaluate").addEventListener("click", async () => {
    if (await runJob("/api/promo/evaluate", { refresh: false }, $("#evaluate-status"))) scorecard();
  });
  $("#run-advice").addEventListener("click", async () => {
    if (await runJob("/api/promo/advice", undefined, $("#advice-status"))) advice();
  });
  const info = await api("GET", "/api/info?quality=false");
  if (info.ok && info.data.end) {
    // on the shop's grid: the next week or month after the data (a daily shop: 3 days on)
    const unit = shopPeriod().unit;
    $("#whatif-start").value = addPeriods(info.data.end, unit === "day" ? 3 : 1, unit);
  }
  scorecard();
  advice();
  const kept = await api("GET", "/api/promo/plan");
  if (kept.ok && !planAsked) showPlan(kept.data);
  await fillStores();
  whatIf();
}

/* ---------------------------------------------------------------- model quality */
