"""Report sections for promotion decisions: effects, past promotions, the plan, advice.

Pure: the JSON documents of ``promo effects|evaluate|plan|advice`` in, ``Section`` objects out.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from promocast.reports.html import Section

MECHANISMS = ["threshold", "gift", "flash_sale", "bundle", "feature_display"]


ROI_HEADER = "ROI % (incremental margin / discount cost)"
"""Both past-promotion tables show ROI in percent under this header: the JSON's ``roi`` is a
ratio (1.06 = 106 %), and a ratio next to a percentage was misread (QA finding 17)."""


def _money(value: object) -> str:
    return f"{value:,.0f}" if isinstance(value, int | float) else "-"


def explain_option(explanation: object) -> str:
    """A planned promotion's ``explanation`` (the plan JSON's dict) as a few short sentences:
    why this option (its margin against none, the best other mechanism), why not deeper, why
    not more often. A raw dict in a report cell is unreadable."""
    if not isinstance(explanation, dict):
        return "" if explanation is None else str(explanation)
    parts = []
    expected, baseline = explanation.get("expected_margin"), explanation.get("baseline_margin")
    if expected is not None and baseline is not None:
        why = f"Why: margin {_money(expected)} against {_money(baseline)} without it"
        if isinstance(explanation.get("lift"), int | float):
            why += f" (lift {100 * explanation['lift']:+.0f} %)"
        other = explanation.get("best_other_mechanism") or {}
        if other.get("option"):
            why += (f"; best other mechanism {other['option']} "
                    f"({_money(other.get('expected_value'))})")
        parts.append(why + ".")
    deeper = explanation.get("why_not_deeper")
    deeper = deeper.get("text") if isinstance(deeper, dict) else deeper
    if deeper:
        parts.append(f"Not deeper: {deeper}.")
    if more := explanation.get("why_not_more_often"):
        parts.append(f"Not more often: {more}.")
    return " ".join(parts)


def effects_section(effects: dict, truth: dict | None = None) -> Section:
    """Elasticities with their intervals per item (sorted, coloured by category) and the lift
    of each mechanism per category; with the demo's ground truth, estimated against true."""
    items = pd.DataFrame([{
        "item_id": i["item_id"], "category": i["category"], "elasticity": i["price_elasticity"],
        "lo": i["price_elasticity_ci"][0], "hi": i["price_elasticity_ci"][1]}
        for i in effects["items"]]).dropna(subset=["elasticity"])
    items = items.sort_values("elasticity").reset_index(drop=True)
    fig = go.Figure()
    for category, part in items.groupby("category"):
        fig.add_scatter(x=part.index, y=part["elasticity"], mode="markers", name=str(category),
                        text=part["item_id"],
                        error_y=dict(type="data", symmetric=False,
                                     array=part["hi"] - part["elasticity"],
                                     arrayminus=part["elasticity"] - part["lo"], thickness=1),
                        hovertemplate="%{text}: %{y:.2f}<extra></extra>")
    pct = round(100 * effects.get("level", 0.9))
    fig.update_layout(title=f"Own-price elasticity per item with its {pct} % interval",
                      xaxis_title="items, most elastic first", yaxis_title="elasticity")
    lifts = pd.DataFrame([{"category": c["category"], "mechanism": m, "lift %": 100 * v}
                          for c in effects["categories"]
                          for m, v in c["lift"].items() if m in MECHANISMS and v is not None])
    figures = [fig]
    if len(lifts):
        figures.append(px.bar(lifts, x="category", y="lift %", color="mechanism",
                              barmode="group",
                              title="Lift of each mechanism at the same price, by category"))
    kpis = {"items": f"{len(effects['items'])}",
            "median elasticity": f"{items['elasticity'].median():.2f}",
            "flags": f"{len(effects.get('flags', []))}"}
    notes = [f"Method: {effects.get('method', '')}. Percent-off promotions act through the price "
             "(the elasticity); other mechanisms as lifts at the same price."]
    if alike := effects.get("categories_alike"):
        notes.append("Categories do not differ measurably in " + ", ".join(alike) + ": each "
                     "category shows the shop's value (its own mean is in the JSON's 'own').")
    if truth is not None:
        true = pd.DataFrame([{"item_id": k, "true": v["price_elasticity"]}
                             for k, v in truth["items"].items()])
        both = items.merge(true, on="item_id")
        if len(both):
            covered = ((both["lo"] <= both["true"]) & (both["true"] <= both["hi"])).mean()
            error = ((both["elasticity"] - both["true"]).abs() / both["true"].abs()).median()
            kpis["interval covers truth"] = f"{100 * covered:.0f} %"
            kpis["median error vs truth"] = f"{100 * error:.0f} %"
            scatter = px.scatter(both, x="true", y="elasticity", color="category",
                                 hover_name="item_id",
                                 title="Estimated against the demo shop's true elasticity")
            lo, hi = float(both["true"].min()), float(both["true"].max())
            scatter.add_scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="estimate = truth",
                                line=dict(dash="dot", color="#888"))
            figures.append(scatter)
    return Section("Promotion effects", kpis=kpis, figures=figures, notes=notes)


def evaluation_section(evaluation: dict) -> Section:
    """Past promotions: incremental margin of the best and worst, ROI by mechanism."""
    table = pd.DataFrame(evaluation["promotions"])
    if table.empty:
        return Section("Past promotions", notes=["No past promotion could be evaluated."])
    value = "incremental_margin" if evaluation.get("ranked_by") == "incremental_margin" else \
        "incremental_units"
    by_type = table.groupby("promo_type").agg(
        promotions=("promo_id", "size"), incremental_units=("incremental_units", "sum"),
        incremental_margin=("incremental_margin", "sum"), discount_cost=("discount_cost", "sum"))
    by_type[ROI_HEADER] = 100 * by_type["incremental_margin"] / by_type["discount_cost"].where(
        by_type["discount_cost"] > 0)
    by_type = by_type.reset_index().sort_values(value, ascending=False)
    fig = px.bar(by_type, x="promo_type", y=value, color="promo_type",
                 title=f"Past promotions: total {value.replace('_', ' ')} by mechanism")
    ends = pd.concat([table.head(10), table.tail(10)]).drop_duplicates("promo_id")
    top = px.bar(ends.iloc[::-1], x=value, y="promo_id", color="promo_type", orientation="h",
                 title="The 10 best and 10 worst promotions")
    total = table["incremental_margin"].sum(min_count=1)
    kpis = {"promotions": f"{len(table):,}",
            "incremental units": f"{table['incremental_units'].sum():,.0f}",
            "incremental margin": "-" if pd.isna(total) else f"{total:,.0f}",
            "losing money": f"{int((table['incremental_margin'] < 0).sum()):,}"}
    cols = [c for c in ["rank", "promo_id", "promo_type", "item_id", "start", "end",
                        "baseline_units", "actual_units", "incremental_units", "discount_cost",
                        "incremental_margin", "roi"] if c in table]
    ranked = table[cols].head(15).copy()
    if "roi" in ranked:  # a ratio in the JSON: shown in percent like the per-type table
        ranked = ranked.rename(columns={"roi": ROI_HEADER})
        ranked[ROI_HEADER] = 100 * pd.to_numeric(ranked[ROI_HEADER], errors="coerce")
    return Section("Past promotions against their baseline", kpis=kpis, figures=[fig, top],
                   tables=[by_type, ranked],
                   notes=[*evaluation.get("notes", []),
                          "Baseline: the forecaster with the promotion switched off, "
                          "cross-fitted so it never saw the item it judges."])


def plan_section(plan: dict) -> Section:
    """The optimised calendar as a timeline (item x week, coloured by mechanism)."""
    rows = pd.DataFrame(plan["promotions"])
    kpis = {"status": plan["status"], "promotions": f"{len(rows)}",
            "expected incremental margin": f"{plan['expected_incremental_margin']:,.0f}",
            "budget used": f"{plan['budget_used']:,.0f} / {plan['budget']:,.0f}"}
    if plan.get("gap") is not None:
        kpis["MIP gap"] = f"{100 * plan['gap']:.2f} %"
    notes = list(plan.get("notes", []))
    if rows.empty:
        return Section("Promotion plan", kpis=kpis, notes=[
            *notes, "No promotion pays for itself under these rules: the best plan is none."])
    rows["label"] = rows["item_id"].astype(str) + " / " + rows["store_id"].astype(str)
    rows["end"] = pd.to_datetime(rows["end_date"]) + pd.Timedelta(days=1)
    rows["option"] = rows["promo_type"] + rows["depth"].map(lambda d: f" {d:g}" if d else "")
    fig = px.timeline(rows, x_start="start_date", x_end="end", y="label", color="promo_type",
                      hover_data=["option", "expected_units", "baseline_units",
                                  "expected_incremental_margin"],
                      title="Planned promotions (item / store by week)")
    fig.update_yaxes(autorange="reversed")
    table = rows[["start_date", "item_id", "store_id", "option", "baseline_units",
                  "expected_units", "expected_incremental_margin", "explanation",
                  *(["caveat"] if "caveat" in rows else [])]].copy()
    table["explanation"] = table["explanation"].map(explain_option)
    return Section("Promotion plan", kpis=kpis, figures=[fig], tables=[table], notes=notes)


def advice_section(advice: dict, limit: int = 15) -> Section:
    """The most valuable advice in English and Chinese."""
    rows = pd.DataFrame([{"subject": a["subject"], "advice": a["action"],
                          "建议": a["zh"]["action"], "why": a["reason"],
                          "gain": a["expected_gain"], "sure": "yes" if a["confident"] else "no"}
                         for a in advice["advice"][:limit]])
    return Section("Advice · 建议", tables=[rows] if len(rows) else [],
                   notes=["Gains are per week at recent volumes; 'sure: no' means the estimate's "
                          "interval allows a loss."])
