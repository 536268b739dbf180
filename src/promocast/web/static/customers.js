/* The customers page (segments, propensity, targets) and its target list's CSV download;
   loaded before app.js, whose helpers (T, $, api, plot, table) it calls when a page runs. */

/* ---------------------------------------------------------------- customers */
function downloadCsv(rows, name) {
  if (!rows.length) return;
  const cols = Object.keys(rows[0]);
  const quote = (v) => `"${String(v ?? "").replaceAll('"', '""')}"`;
  const text = "\ufeff" + [cols.join(","), ...rows.map((r) => cols.map((c) => quote(r[c])).join(","))].join("\n");
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  link.download = name;
  link.click();
}

async function propensityBoard() {
  const res = await api("GET", "/api/customers/propensity");
  if (!res.ok) { $("#propensity-facts").textContent = T("customers.no_propensity"); return; }
  const d = res.data;
  const models = Object.entries(d.models).sort((a, b) => b[1].auc - a[1].auc);
  plot($("#propensity-chart"), [{ type: "bar", x: models.map(([m]) => m), y: models.map(([, s]) => s.auc),
    marker: { color: models.map(([m]) => (m === d.best ? "#e67e22" : "#1f3a5f")) }, text: models.map(([, s]) => fmt(s.auc, 3)), textposition: "outside" }],
  { yaxis: { range: [0.5, 1], title: "AUC" }, hovermode: "closest" });
  $("#propensity-chart").dataset.best = d.best;
  $("#propensity-facts").textContent = T("customers.propensity_facts", { label: d.label, split: d.split_date, best: d.best });
}

async function customersPage() {
  if (!$("#run-propensity")) return; // the page without orders: nothing to wire
  $("#run-propensity").addEventListener("click", async () => {
    if (await runJob("/api/customers/propensity", { horizon_days: 30 }, $("#propensity-status"))) propensityBoard();
  });
  $("#recommend-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const res = await api("GET", `/api/customers/recommend?top=10&customer=${encodeURIComponent($("#recommend-customer").value.trim())}`);
    $("#recommend-result").innerHTML = res.ok
      ? table(res.data.recommendations, Object.keys(res.data.recommendations[0] || { item_id: 1 }), { id: "recommendations" })
      : `<p class="error">${esc(res.data.error)}</p>`;
  });
  let targets = [];
  $("#targets-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = new FormData(event.target);
    const body = { top: Number(f.get("top")) };
    if (f.get("category")) body.category = f.get("category");
    if (f.get("item_id")) body.item_id = String(f.get("item_id")).trim();
    const result = await runJob("/api/customers/targets", body, $("#targets-status"));
    if (!result) return;
    targets = result.targets;
    $("#targets-table").innerHTML = table(targets, ["rank", "customer_id", "segment", "probability", "affinity", "promo_factor", "response_score"], { id: "targets", limit: 30 });
    $("#targets-csv").hidden = false;
  });
  $("#targets-csv").addEventListener("click", () => downloadCsv(targets, "promocast_targets.csv"));
  const seg = await api("GET", "/api/customers/segments");
  if (seg.ok) {
    const d = seg.data;
    kpis($("#customer-kpis"), [[T("customers.count"), fmt(d.customers)], [T("overview.revenue"), fmt(d.revenue)],
      [T("customers.promo_share"), pct(d.shop_promo_share)], [T("customers.as_of"), d.as_of]]);
    const rows = d.segments;
    const names = rows.map((r) => T("segment." + r.segment));
    plot($("#segments-chart"), [
      { type: "bar", x: names, y: rows.map((r) => r.customers), name: T("customers.count"), marker: { color: "#1f3a5f" } },
      { type: "bar", x: names, y: rows.map((r) => r.revenue), name: T("overview.revenue"), yaxis: "y2", marker: { color: "#e67e22" } },
    ], { barmode: "group", yaxis: { title: T("customers.count") }, yaxis2: { overlaying: "y", side: "right", showgrid: false, title: T("overview.revenue") }, hovermode: "closest" });
    plot($("#response-chart"), [{ type: "bar", orientation: "h", y: names, x: rows.map((r) => r.promo_share), marker: { color: "#2e86ab" },
      text: rows.map((r) => pct(r.promo_share, 0)), textposition: "outside" }],
    { xaxis: { tickformat: ".0%", title: T("customers.promo_share") }, yaxis: { automargin: true }, hovermode: "closest" });
    $("#segments-table").innerHTML = table(rows.map((r) => Object.assign({}, r, { segment: T("segment." + r.segment) })),
      ["segment", "customers", "revenue", "revenue_share", "mean_recency_days", "mean_frequency", "mean_monetary", "promo_share"], { id: "segments" });
  }
  propensityBoard();
  const clv = await api("GET", "/api/customers/clv?top=10");
  if (clv.ok) {
    kpis($("#clv-kpis"), [[T("customers.total_clv"), fmt(clv.data.total_clv)], [T("customers.alive"), pct(clv.data.mean_prob_alive, 0)]]);
    $("#clv-table").innerHTML = table(clv.data.top, Object.keys(clv.data.top[0] || {}).slice(0, 8), { id: "clv" });
  }
  const rec = await api("GET", "/api/customers/recommend?top=10");
  if (rec.ok) $("#together-table").innerHTML = table(rec.data.bought_together, ["item_a", "item_b", "orders", "confidence", "lift"], { id: "together", limit: 10 });
}

/* ---------------------------------------------------------------- login */
