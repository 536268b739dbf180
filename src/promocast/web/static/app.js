/* promocast dashboard: each page's charts and forms, talking to the JSON API.
   No framework, no network beyond this server: plotly.js is served locally. */
"use strict";

const T = (key, values) => {
  let text = (window.T && window.T[key]) || key;
  if (values) for (const [k, v] of Object.entries(values)) text = text.replaceAll(`{${k}}`, v);
  return text;
};
const $ = (sel, root = document) => root.querySelector(sel);
const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const locale = () => (window.LANG === "zh" ? "zh-CN" : "en-US");
const fmt = (v, digits = 0) => (v === null || v === undefined || Number.isNaN(v) ? "–" :
  Number(v).toLocaleString(locale(), { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const pct = (v, digits = 1) => (v === null || v === undefined ? "–" : `${fmt(100 * v, digits)} %`);
const COLORS = ["#1f3a5f", "#e67e22", "#2e86ab", "#a23b72", "#3b8f4f", "#c0392b", "#7f8c8d", "#f1c40f"];

/* An API error or failed job in the page's language: on a Chinese page the catalogue's text of
   its code (error.<code>, services/error_codes.py), else the API's own words. */
const said = (data) => {
  const key = data && data.code ? `error.${data.code}` : "";
  return key && window.LANG !== "en" && window.T && window.T[key] ? window.T[key] : (data && data.error) || "";
};

function csrf() {
  const m = document.cookie.match(/(?:^|;\s*)promocast_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

async function api(method, url, body) {
  const headers = { "X-CSRF-Token": csrf() };
  let payload = body;
  if (body !== undefined && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, { method, headers, body: payload, credentials: "same-origin" });
  } catch (err) {
    return { ok: false, status: 0, data: { error: T("error.network") } };
  }
  let data = null;
  try { data = await response.json(); } catch (err) { data = { error: response.statusText }; }
  if (!response.ok && data && data.code) data.error = said(data);
  return { ok: response.ok, status: response.status, data };
}

async function runJob(url, body, statusEl) {
  const started = await api("POST", url, body);
  if (!started.ok) { statusEl.textContent = started.data.error; return null; }
  for (;;) {
    const job = await api("GET", started.data.url);
    if (!job.ok) { statusEl.textContent = job.data.error; return null; }
    const j = job.data;
    if (j.status === "done") { statusEl.textContent = T("job.done"); return j.result; }
    if (j.status === "failed") { statusEl.textContent = `${T("job.failed")}: ${said(j)}`; return null; }
    statusEl.textContent = `${T("job." + j.status)} · ${j.progress || ""}`;
    await new Promise((resolve) => setTimeout(resolve, 800));
  }
}

function plot(el, traces, layout = {}) {
  if (!el || !window.Plotly) return;
  const base = {
    margin: { l: 50, r: 20, t: 30, b: 40 }, template: "plotly_white", hovermode: "x unified",
    legend: { orientation: "h", y: -0.15 }, font: { family: "-apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif" },
  };
  // a right-hand axis needs room for its tick labels (they were cut at "81.")
  if (layout.yaxis2) base.margin = Object.assign({}, base.margin, { r: 70 });
  Plotly.react(el, traces, Object.assign(base, layout), { responsive: true, displaylogo: false });
  el.dataset.drawn = String(traces.length);
}

function table(rows, columns, opts = {}) {
  if (!rows || !rows.length) return `<p class="note">${esc(T("table.empty"))}</p>`;
  const head = columns.map((c) => `<th>${esc(T("col." + c))}</th>`).join("");
  const body = rows.slice(0, opts.limit || 50).map((r) => "<tr>" + columns.map((c) => {
    const v = r[c];
    let shown = esc(v ?? "");
    if (typeof v === "number") {
      if (c === "row" || c === "rank") shown = String(v);
      else if (c === "roi" || c === "chance_profitable") shown = pct(v);
      else shown = fmt(v, Number.isInteger(v) || Math.abs(v) >= 10 ? 0 : 2);
    }
    return `<td>${shown}</td>`;
  }).join("") + "</tr>").join("");
  return `<table class="grid-table"${opts.id ? ` id="${opts.id}"` : ""}><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function kpis(el, items) {
  el.innerHTML = items.map(([label, value, sub]) =>
    `<div class="kpi"><b>${esc(value)}</b><span>${esc(label)}</span>${sub ? `<em>${esc(sub)}</em>` : ""}</div>`).join("");
}

/* The shop's period and its default spans (services/periods.py, set by the page); a daily
   shop's when the page has none. */
const DAILY = { unit: "day", recent: 28, trend: "week", forecast_horizon: 28, backtest_horizon: 14,
  promotion_length: 7, lead_time: 3, history_days: 365, context: 56 };
const shopPeriod = () => window.SHOP || DAILY;

/* An ISO date moved by n days, weeks or months (UTC: no time-zone shifts). */
function addPeriods(iso, n, unit) {
  const d = new Date(`${iso}T00:00:00Z`);
  if (unit === "month") d.setUTCMonth(d.getUTCMonth() + n);
  else d.setUTCDate(d.getUTCDate() + n * (unit === "week" ? 7 : 1));
  return d.toISOString().slice(0, 10);
}

function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

/* ---------------------------------------------------------------- overview */
async function overviewPage() {
  const res = await api("GET", "/api/overview");
  if (!res.ok) return;
  const rows = res.data.by_category;
  const weeks = [...new Set(rows.map((r) => r.week))].sort();
  const cats = [...new Set(rows.map((r) => r.category))];
  const traces = cats.map((c, i) => {
    const part = rows.filter((r) => r.category === c);
    return { x: part.map((r) => r.week), y: part.map((r) => r.revenue), name: c, type: "scatter",
      mode: "lines", stackgroup: "one", line: { width: 0.5, color: COLORS[i % COLORS.length] } };
  });
  const share = weeks.map((w) => {
    const part = rows.filter((r) => r.week === w);
    return part.reduce((s, r) => s + r.promo_share, 0) / part.length;
  });
  traces.push({ x: weeks, y: share, name: T("overview.promo_share"), yaxis: "y2", type: "scatter", mode: "lines",
    line: { color: "#c0392b", dash: "dot" } });
  plot($("#trend-chart"), traces, { yaxis: { title: T("overview.revenue") },
    yaxis2: { overlaying: "y", side: "right", tickformat: ".0%", showgrid: false, rangemode: "tozero" } });
  // the recent window in the shop's periods (28 days, 8 weeks or 3 months: services/periods.py)
  const period = Object.fromEntries((res.data.recent || []).map((r) => [r.period, r]));
  const shop = shopPeriod();
  for (const key of ["revenue", "units"]) {
    const now = period.last ? period.last[key] : 0;
    const then = period.previous ? period.previous[key] : 0;
    $(`#kpi-${key}`).textContent = fmt(now);
    if (then > 0) {
      const change = now / then - 1;
      const el = $(`#kpi-${key}-change`);
      el.textContent = `${change >= 0 ? "▲" : "▼"} ${pct(Math.abs(change))} ${T("kpi.vs_before_" + shop.unit, { n: shop.recent })}`;
      el.className = change >= 0 ? "up" : "down";
    }
  }
  const recent = weeks.slice(-12);
  const byCat = cats.map((c) => rows.filter((r) => r.category === c && recent.includes(r.week)).reduce((s, r) => s + r.revenue, 0));
  plot($("#category-chart"), [{ type: "pie", labels: cats, values: byCat, hole: 0.5, marker: { colors: COLORS } }],
    { title: { text: T("overview.last_12_" + shop.trend), font: { size: 13 } }, hovermode: "closest" });
}

/* ---------------------------------------------------------------- data */
function dataPage() {
  const classes = $("#classes-chart");
  if (classes) {
    const c = JSON.parse(classes.dataset.classes);
    plot(classes, [{ type: "bar", x: Object.keys(c).map((k) => T("class." + k)), y: Object.values(c), marker: { color: "#2e86ab" } }],
      { title: { text: T("data.classes"), font: { size: 13 } }, hovermode: "closest" });
  }
  const form = $("#upload-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const out = $("#upload-result");
    out.innerHTML = `<p class="note">${esc(T("data.loading"))}</p>`;
    const body = new FormData();
    for (const file of $("#upload-files").files) body.append("files", file, file.name);
    if ($("#upload-format").value) body.append("format", $("#upload-format").value);
    if ($("#upload-table").value) body.append("table", $("#upload-table").value);
    if ($("#upload-pseudonymise").checked) body.append("pseudonymise", "true");
    if ($("#upload-missing-days").value) body.append("missing_days", $("#upload-missing-days").value);
    const res = await api("POST", "/api/ingest", body);
    if (res.ok) {
      out.innerHTML = `<p class="ok" id="upload-ok">${esc(T("data.loaded"))}</p><ul>${res.data.lines.map((l) => `<li>${esc(l)}</li>`).join("")}</ul>` +
        `<p><a href="/data">${esc(T("data.refresh"))}</a></p>` +
        `<p><button type="button" id="refresh-forecasts">${esc(T("data.refresh_forecasts"))}</button> <span id="refresh-status" class="note"></span></p>`;
      $("#refresh-forecasts").addEventListener("click", async () => {
        $("#refresh-forecasts").disabled = true;
        const done = await runJob("/api/forecasts/refresh", {}, $("#refresh-status"));
        $("#refresh-forecasts").disabled = false;
        if (done) $("#refresh-status").textContent = T("data.refreshed", { n: done.series, start: done.start, end: done.end });
      });
      return;
    }
    let html = `<p class="error" id="upload-error">${esc(T("data.refused"))}</p>`;
    if (res.data.errors && res.data.errors.length) {
      html += `<p class="note">${esc(T("data.errors_total", { n: res.data.total ?? res.data.errors.length }))}</p>`;
      html += table(res.data.errors, ["file", "row", "column", "value", "rule"], { id: "row-errors" });
    } else {
      html += `<pre>${esc(res.data.error)}</pre>`;
    }
    out.innerHTML = html;
  });
}

/* ---------------------------------------------------------------- items */
const MAX_STORES = 6;
function promoShapes(promotions, stores) {
  return promotions.filter((p) => !p.store_id || p.store_id === "all" || stores.includes(p.store_id)).map((p) => ({
    type: "rect", xref: "x", yref: "paper", x0: p.start_date, x1: p.end_date, y0: 0, y1: 1,
    fillcolor: "rgba(230,126,34,0.12)", line: { width: 0 }, layer: "below",
  }));
}

async function loadItem(itemId) {
  $("#item-detail").dataset.item = itemId;
  $("#item-title").textContent = itemId;
  const hist = await api("GET", `/api/series/${encodeURIComponent(itemId)}/history?days=${shopPeriod().history_days}`);
  if ($("#item-detail").dataset.item !== itemId) return; // another item was picked meanwhile
  if (!hist.ok) { $("#item-facts").textContent = hist.data.error; return; }
  let h = hist.data;
  const item = h.item || {};
  $("#item-title").textContent = `${itemId}${item.name ? " · " + item.name : ""}`;
  $("#item-facts").textContent = [item.category, item.brand, item.base_price ? `${T("col.regular_price")} ${fmt(item.base_price, 2)}` : null,
    item.unit_cost ? `${T("col.unit_cost")} ${fmt(item.unit_cost, 2)}` : null].filter(Boolean).join(" · ");
  // an item sold in many stores (Stallion: 58 agencies) drew a line each, a tangle nobody
  // reads: the stores that sell the most are drawn, and the title says how many of how many
  const volume = new Map();
  for (const r of h.sales) volume.set(r.store_id, (volume.get(r.store_id) || 0) + (r.units || 0));
  const shown = h.stores.length > MAX_STORES
    ? [...h.stores].sort((a, b) => (volume.get(b) || 0) - (volume.get(a) || 0)).slice(0, MAX_STORES) : h.stores;
  const some = shown.length < h.stores.length ? ` · ${T("items.top_stores", { shown: shown.length, total: h.stores.length })}` : "";
  h = Object.assign({}, h, { shown, some });
  const traces = [];
  shown.forEach((store, i) => {
    const part = h.sales.filter((r) => r.store_id === store);
    traces.push({ x: part.map((r) => r.date), y: part.map((r) => r.units), name: `${store}`, type: "scatter", mode: "lines",
      line: { color: COLORS[i % COLORS.length], width: 1.5 } });
    const promo = part.filter((r) => r.on_promo === 1);
    traces.push({ x: promo.map((r) => r.date), y: promo.map((r) => r.units), name: `${store} · ${T("items.on_promo")}`,
      type: "scatter", mode: "markers", marker: { color: "#e67e22", size: 6, symbol: "triangle-up" }, showlegend: i === 0 });
  });
  plot($("#history-chart"), traces, { title: { text: T("items.history") + some, font: { size: 13 } }, shapes: promoShapes(h.promotions, shown) });
  Object.assign($("#history-chart").dataset, { item: itemId, stores: String(shown.length) });
  await drawForecast(itemId, h);
  const explain = $("#run-explain");
  explain.disabled = false;
  explain.onclick = () => explainItem(itemId, h.stores.length === 1 ? h.stores[0] : null);
}

async function drawForecast(itemId, h) {
  const res = await api("GET", `/api/forecasts/${encodeURIComponent(itemId)}`);
  if ($("#item-detail").dataset.item !== itemId) return;
  const note = $("#forecast-note");
  const button = $("#run-forecast");
  if (!res.ok || !res.data.run) {
    $("#forecast-downloads").hidden = true;
    note.textContent = res.ok ? T("items.no_forecast") : res.data.error;
    Plotly.purge($("#forecast-chart"));
    button.hidden = false;
    button.onclick = async () => {
      button.disabled = true;
      const done = await runJob("/api/forecasts", { horizon: shopPeriod().forecast_horizon, models: ["lgbm"] }, note);
      button.disabled = false;
      if (done) { button.hidden = true; drawForecast(itemId, h); }
    };
    return;
  }
  button.hidden = true;
  const run = res.data.run;
  note.textContent = T("items.forecast_run", { when: run.created_at.slice(0, 16), models: run.models });
  for (const fmt of ["csv", "xlsx"]) $(`#forecast-${fmt}`).href = `/api/forecasts/runs/${encodeURIComponent(run.run_id)}/export?format=${fmt}`;
  $("#forecast-downloads").hidden = false;
  const model = run.models.split(",")[0];
  const rows = res.data.forecast.filter((r) => r.model === model);
  const traces = [];
  const forecast = new Set(rows.map((r) => r.store_id));
  // the history chart's stores in its order, so a store keeps its colour across the charts
  const stores = h.shown ? h.shown.filter((s) => forecast.has(s)) : [...forecast];
  stores.forEach((store, i) => {
    const part = rows.filter((r) => r.store_id === store);
    const past = h.sales.filter((r) => r.store_id === store).slice(-shopPeriod().context);
    const color = COLORS[i % COLORS.length];
    const x = part.map((r) => r.ds);
    const band = (lo, hi, alpha, label) => {
      traces.push({ x, y: part.map((r) => r[hi]), type: "scatter", mode: "lines", line: { width: 0 }, showlegend: false, hoverinfo: "skip" });
      traces.push({ x, y: part.map((r) => r[lo]), type: "scatter", mode: "lines", line: { width: 0 }, fill: "tonexty",
        fillcolor: `rgba(230,126,34,${alpha})`, name: `${store} ${label}`, showlegend: i === 0 });
    };
    if ("q0.05" in part[0]) band("q0.05", "q0.95", 0.15, "90 %");
    if ("q0.25" in part[0]) band("q0.25", "q0.75", 0.3, "50 %");
    traces.push({ x: past.map((r) => r.date), y: past.map((r) => r.units), name: `${store} ${T("items.actual")}`, type: "scatter",
      mode: "lines", line: { color, width: 1.5 } });
    traces.push({ x, y: part.map((r) => r["q0.5"]), name: `${store} ${T("items.median")}`, type: "scatter", mode: "lines",
      line: { color, width: 3, dash: "dot" } });
  });
  plot($("#forecast-chart"), traces, { title: { text: T("items.fan") + (h.some || ""), font: { size: 13 } } });
  $("#forecast-chart").dataset.item = itemId;
}

async function explainItem(itemId, storeId) {
  const status = $("#explain-status");
  const button = $("#run-explain");
  button.disabled = true;
  const result = await runJob(`/api/explain/${encodeURIComponent(itemId)}`, storeId ? { store_id: storeId } : {}, status);
  button.disabled = false;
  if (!result) return;
  const days = result.days;
  const drivers = [...new Set(days.flatMap((d) => Object.keys(d.drivers)))];
  const traces = drivers.map((name, i) => ({ x: days.map((d) => d.ds), y: days.map((d) => d.drivers[name] || 0),
    name: T("driver." + name), type: "bar", marker: { color: COLORS[i % COLORS.length] } }));
  traces.push({ x: days.map((d) => d.ds), y: days.map((d) => d.forecast), name: T("items.forecast"), type: "scatter",
    mode: "lines+markers", line: { color: "#111" } });
  plot($("#drivers-chart"), traces, { barmode: "relative", title: { text: T("items.drivers_title", { base: fmt(days[0].base, 1) }), font: { size: 13 } } });
}

function itemsPage() {
  const list = $("#item-list");
  const search = debounce(async () => {
    const q = $("#item-query").value, c = $("#item-category").value;
    const params = new URLSearchParams({ limit: "100" });
    if (q) params.set("q", q);
    if (c) params.set("category", c);
    const res = await api("GET", `/api/series?${params}`);
    if (!res.ok) { list.innerHTML = `<li class="error">${esc(res.data.error)}</li>`; return; }
    $("#item-count").textContent = T("items.count", { n: fmt(res.data.total) });
    if (!location.hash && res.data.series.length && !$("#item-detail").dataset.item) {
      loadItem(res.data.series[0].item_id); // open the biggest item rather than an empty panel
    }
    list.innerHTML = res.data.series.map((s) => `<li><a href="#item=${encodeURIComponent(s.item_id)}" data-item="${esc(s.item_id)}">` +
      `<b>${esc(s.item_id)}</b> ${esc(s.name || "")}<span>${esc(s.category)} · ${fmt(s.revenue)}</span></a></li>`).join("");
  }, 250);
  $("#item-query").addEventListener("input", search);
  $("#item-category").addEventListener("change", search);
  $("#item-search").addEventListener("submit", (e) => e.preventDefault());
  const fromHash = () => {
    const m = location.hash.match(/item=([^&]+)/);
    if (m) loadItem(decodeURIComponent(m[1]));
  };
  window.addEventListener("hashchange", fromHash);
  search();
  fromHash();
}

/* ---------------------------------------------------------------- promotions */
function qualityPage() {
  const chart = $("#leaderboard-chart");
  if (chart) {
    const run = JSON.parse(chart.dataset.run);
    const models = Object.entries(run.models).filter(([, s]) => s.wape !== null).sort((a, b) => a[1].wape - b[1].wape);
    plot(chart, [
      { type: "bar", x: models.map(([m]) => m), y: models.map(([, s]) => s.wape), name: "WAPE %",
        marker: { color: models.map(([m]) => (m === run.best ? "#e67e22" : "#1f3a5f")) } },
      { type: "scatter", mode: "markers", x: models.map(([m]) => m), y: models.map(([, s]) => s.coverage_80), yaxis: "y2",
        name: T("quality.coverage"), marker: { color: "#3b8f4f", size: 10, symbol: "diamond" } },
    ], { yaxis: { title: "WAPE %" }, yaxis2: { overlaying: "y", side: "right", range: [0, 100], tickvals: [0, 20, 40, 60, 80, 100], ticksuffix: " %", showgrid: false, title: T("quality.coverage") },
      hovermode: "closest", title: { text: T("quality.chart"), font: { size: 13 } } });
  }
  $("#backtest-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = new FormData(event.target);
    const done = await runJob("/api/backtests", { horizon: Number(f.get("horizon")), folds: Number(f.get("folds")),
      models: String(f.get("models")).split(",").map((s) => s.trim()).filter(Boolean) }, $("#backtest-status"));
    if (done) location.reload();
  });
}

/* ---------------------------------------------------------------- inventory */
function replayTable(replay) {
  const targets = replay.targets || [replay.replay];
  return table(targets.map((r) => ({ target: pct(r.service_level_target ?? r.target, 0), achieved: pct(r.cycle_service_level),
    fill: pct(r.fill_rate), on_hand: fmt(r.avg_on_hand, 1) })), ["target", "achieved", "fill", "on_hand"], { id: "replay" });
}

async function inventoryPage() {
  const unit = shopPeriod().unit;
  let reorder = [];
  // the downloads ask the API for the list with the form's parameters (same numbers as shown)
  const downloads = (params, rows) => {
    for (const fmt of ["csv", "xlsx"]) $(`#reorder-${fmt}`).href = `/api/inventory/export?format=${fmt}&${params}`;
    $("#reorder-downloads").hidden = !rows;
  };
  const compute = async () => {
    const f = new FormData($("#inventory-form"));
    const params = new URLSearchParams();
    for (const key of ["service_level", "lead_time", "review_period", "pack_size"]) params.set(key, f.get(key));
    $("#inventory-status").textContent = T("inventory.computing");
    $("#inventory-button").disabled = true;
    const res = await api("GET", `/api/inventory?${params}`);
    let d = res.data;
    if (res.status === 409) {  // no kept forecast covers lead time + review period: forecast first
      d = await runJob("/api/inventory", Object.fromEntries([...params].map(([k, v]) => [k, Number(v)])), $("#inventory-status"));
      $("#inventory-button").disabled = false;
      if (!d) return;
    } else {
      $("#inventory-button").disabled = false;
      if (!res.ok) { $("#inventory-status").textContent = res.data.error; return; }
    }
    if (d.replay) $("#replay-result").innerHTML = replayTable({ replay: d.replay });
    // Stock-dependent figures (order, cover, risk) need stock on hand; the levels do not.
    const stocked = d.items.filter((r) => r.on_hand !== null && r.on_hand !== undefined);
    // without any stock the #no-stock banner says so in the page's language
    $("#inventory-status").textContent = (d.notes || []).filter((n) => stocked.length || !/have no stock/.test(n)).join(" · ");
    $("#no-stock").hidden = stocked.length > 0;
    $("#risk-card").hidden = !stocked.length;
    if (!stocked.length) {
      reorder = d.items;
      kpis($("#inventory-kpis"), [[T("inventory.series"), fmt(d.series)],
        [T("col.safety_stock"), fmt(d.items.reduce((s, r) => s + (r.safety_stock || 0), 0))]]);
      $("#reorder-title").textContent = T("inventory.levels");
      $("#reorder-table").innerHTML = table(d.items, ["item_id", "store_id", "mean_demand_lead_time", "safety_stock", "reorder_point",
        "order_up_to"], { id: "levels", limit: 100 });
      downloads(params, d.items.length);
      return;
    }
    reorder = d.reorder_list;
    $("#reorder-title").textContent = T("inventory.reorder");
    const atRisk = stocked.filter((r) => r.stockout_probability_no_order >= 0.5).length;
    kpis($("#inventory-kpis"), [
      [T("inventory.series"), fmt(d.series)], [T("inventory.to_order"), fmt(reorder.length)],
      [T("inventory.units_to_order"), fmt(reorder.reduce((s, r) => s + r.order_qty, 0))],
      [T("inventory.at_risk"), fmt(atRisk)],
    ]);
    // days_of_cover counts periods of the data: days, weeks or months of cover
    const cover = `cover_${unit}`;
    $("#reorder-table").innerHTML = table(reorder.map((r) => Object.assign({}, r, { [cover]: r.days_of_cover })),
      ["urgency_rank", "item_id", "store_id", "on_hand", "reorder_point", "order_up_to",
        "order_qty", cover, "stockout_probability_no_order"], { id: "reorder", limit: 40 });
    downloads(params, reorder.length);
    const top = [...stocked].sort((a, b) => b.stockout_probability_no_order - a.stockout_probability_no_order).slice(0, 25);
    plot($("#risk-chart"), [{ type: "bar", orientation: "h", y: top.map((r) => `${r.item_id} · ${r.store_id}`),
      x: top.map((r) => r.stockout_probability_no_order), marker: { color: top.map((r) => (r.below_reorder_point ? "#c0392b" : "#2e86ab")) },
      text: top.map((r) => `${fmt(r.days_of_cover, 1)} ${T("unit." + unit + "s")}`), textposition: "outside" }],
    { xaxis: { tickformat: ".0%", range: [0, 1.15], title: T("col.stockout_probability_no_order") }, yaxis: { automargin: true, autorange: "reversed" },
      hovermode: "closest", height: 520 });
  };
  $("#inventory-form").addEventListener("submit", (e) => { e.preventDefault(); compute(); });
  $("#run-replay").addEventListener("click", async () => {
    const f = new FormData($("#inventory-form"));
    const body = { service_level: Number(f.get("service_level")), lead_time: Number(f.get("lead_time")), review_period: Number(f.get("review_period")) };
    const result = await runJob("/api/inventory/replay", body, $("#replay-status"));
    if (result) { $("#replay-result").innerHTML = replayTable(result); compute(); }
  });
  compute();
}

function loginPage() {
  $("#login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const res = await api("POST", "/login", { token: $("#token").value });
    if (res.ok) location.assign(event.target.dataset.next || "/");
    else $("#login-error").textContent = res.data.error;
  });
}

const PAGES = { overview: overviewPage, data: dataPage, items: itemsPage, promotions: promotionsPage,
  quality: qualityPage, inventory: inventoryPage, customers: customersPage, login: loginPage };
window.PROMOCAST_PAGES = PAGES;

document.addEventListener("DOMContentLoaded", () => {
  const page = document.body.dataset.page;
  if (PAGES[page]) PAGES[page]();
  for (const a of document.querySelectorAll(".langs a")) {
    a.href = `${location.pathname}?lang=${a.id.slice(5)}${location.hash}`;
  }
});
