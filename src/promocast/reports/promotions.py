"""Report sections for promotion decisions: effects, past promotions, the plan, advice.

Pure: the JSON documents of ``promo effects|evaluate|plan|advice`` in, ``Section`` objects out.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from promocast.reports.html import Section
from promocast.reports.words import Words

MECHANISMS = ["threshold", "gift", "flash_sale", "bundle", "feature_display"]


ROI_HEADER = "ROI % (incremental margin / discount cost)"
"""Both past-promotion tables show ROI in percent under this header: the JSON's ``roi`` is a
ratio (1.06 = 106 %), and a ratio next to a percentage was misread (QA finding 17)."""


def _money(value: object) -> str:
    return f"{value:,.0f}" if isinstance(value, int | float) else "-"


def explain_option(explanation: object, lang: str = "en") -> str:
    """A planned promotion's ``explanation`` (the plan JSON's dict) as a few short sentences:
    why this option (its margin against none, the best other mechanism), why not deeper, why
    not more often. A raw dict in a report cell is unreadable. In Chinese the reasons are the
    explanation's ``zh`` texts (English for a plan kept before they existed)."""
    if not isinstance(explanation, dict):
        return "" if explanation is None else str(explanation)
    w = Words(lang)
    parts = []
    expected, baseline = explanation.get("expected_margin"), explanation.get("baseline_margin")
    if expected is not None and baseline is not None:
        why = w("why_margin", margin=_money(expected), baseline=_money(baseline))
        if isinstance(explanation.get("lift"), int | float):
            why += w("why_lift", lift=f"{100 * explanation['lift']:+.0f}")
        other = explanation.get("best_other_mechanism") or {}
        if other.get("option"):
            why += w("why_other", option=w.option(other["option"]),
                     value=_money(other.get("expected_value")))
        parts.append(why + w("stop"))
    zh = explanation.get("zh") if lang == "zh" else None
    zh = zh if isinstance(zh, dict) else {}
    deeper = explanation.get("why_not_deeper")
    deeper = zh.get("why_not_deeper") or (deeper.get("text") if isinstance(deeper, dict)
                                           else deeper)
    if deeper:
        parts.append(w("not_deeper", text=deeper))
    if more := zh.get("why_not_more_often") or explanation.get("why_not_more_often"):
        parts.append(w("not_more_often", text=more))
    return ("" if lang == "zh" else " ").join(parts)


def effects_section(effects: dict, truth: dict | None = None, lang: str = "en") -> Section:
    """Elasticities with their intervals per item (sorted, coloured by category) and the lift
    of each mechanism per category; with the demo's ground truth, estimated against true."""
    w = Words(lang)
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
    fig.update_layout(title=w("elasticity_chart", pct=pct),
                      xaxis_title=w("elasticity_x"), yaxis_title=w("elasticity"))
    lifts = pd.DataFrame([{"category": c["category"], "mechanism": w.mechanism(m),
                           "lift %": 100 * v}
                          for c in effects["categories"]
                          for m, v in c["lift"].items() if m in MECHANISMS and v is not None])
    figures = [fig]
    if len(lifts):
        figures.append(px.bar(lifts, x="category", y="lift %", color="mechanism",
                              barmode="group", title=w("lift_chart"),
                              labels={**w.labels(lifts), "lift %": w("lift_pct")}))
    kpis = {w("kpi_items"): f"{len(effects['items'])}",
            w("kpi_median_elasticity"): f"{items['elasticity'].median():.2f}",
            w("kpi_flags"): f"{len(effects.get('flags', []))}"}
    notes = [w("effects_method", method=effects.get("method", ""))]
    if alike := effects.get("categories_alike"):
        notes.append(w("categories_alike", names=", ".join(alike)))
    if truth is not None:
        true = pd.DataFrame([{"item_id": k, "true": v["price_elasticity"]}
                             for k, v in truth["items"].items()])
        both = items.merge(true, on="item_id")
        if len(both):
            covered = ((both["lo"] <= both["true"]) & (both["true"] <= both["hi"])).mean()
            error = ((both["elasticity"] - both["true"]).abs() / both["true"].abs()).median()
            kpis[w("kpi_covers_truth")] = f"{100 * covered:.0f} %"
            kpis[w("kpi_error_truth")] = f"{100 * error:.0f} %"
            scatter = px.scatter(both, x="true", y="elasticity", color="category",
                                 hover_name="item_id", title=w("truth_chart"),
                                 labels=w.labels(both))
            lo, hi = float(both["true"].min()), float(both["true"].max())
            scatter.add_scatter(x=[lo, hi], y=[lo, hi], mode="lines", name=w("truth_line"),
                                line=dict(dash="dot", color="#888"))
            figures.append(scatter)
    return Section(w("effects"), kpis=kpis, figures=figures, notes=notes)


def evaluation_section(evaluation: dict, lang: str = "en") -> Section:
    """Past promotions: incremental margin of the best and worst, ROI by mechanism."""
    w = Words(lang)
    table = w.values(pd.DataFrame(evaluation["promotions"]))
    if table.empty:
        return Section(w("past_promotions"), notes=[w("no_past_promotions")])
    roi_header = w("roi_header")
    value = "incremental_margin" if evaluation.get("ranked_by") == "incremental_margin" else \
        "incremental_units"
    by_type = table.groupby("promo_type").agg(
        promotions=("promo_id", "size"), incremental_units=("incremental_units", "sum"),
        incremental_margin=("incremental_margin", "sum"), discount_cost=("discount_cost", "sum"))
    by_type[roi_header] = 100 * by_type["incremental_margin"] / by_type["discount_cost"].where(
        by_type["discount_cost"] > 0)
    by_type = by_type.reset_index().sort_values(value, ascending=False)
    fig = px.bar(by_type, x="promo_type", y=value, color="promo_type",
                 title=w("past_total_chart", value=w(f"value_{value}")),
                 labels=w.labels(by_type))
    # best and worst by value: the ranking puts promotions within noise last (QA5 #19)
    ordered = table.sort_values(value, ascending=False, kind="stable")
    ends = pd.concat([ordered.head(10), ordered.tail(10)]).drop_duplicates("promo_id")
    top = px.bar(ends.iloc[::-1], x=value, y="promo_id", color="promo_type", orientation="h",
                 title=w("best_worst_chart"), labels=w.labels(ends))
    total = table["incremental_margin"].sum(min_count=1)
    kpis = {w("kpi_promotions"): f"{len(table):,}",
            w("kpi_incremental_units"): f"{table['incremental_units'].sum():,.0f}",
            w("kpi_incremental_margin"): "-" if pd.isna(total) else f"{total:,.0f}",
            w("kpi_losing_money"): f"{int((table['incremental_margin'] < 0).sum()):,}"}
    cols = [c for c in ["rank", "promo_id", "promo_type", "item_id", "start", "end",
                        "baseline_units", "actual_units", "incremental_units", "discount_cost",
                        "incremental_margin", "roi"] if c in table]
    ranked = table[cols].head(15).copy()
    if "roi" in ranked:  # a ratio in the JSON: shown in percent like the per-type table
        ranked = ranked.rename(columns={"roi": roi_header})
        ranked[roi_header] = 100 * pd.to_numeric(ranked[roi_header], errors="coerce")
    return Section(w("past_against_baseline"), kpis=kpis, figures=[fig, top],
                   tables=[by_type, ranked],
                   notes=[*evaluation.get("notes", []), w("baseline_note")])


def said_in(record: dict, key: str, lang: str) -> object:
    """``record[key]`` in the report's language: its ``zh`` text in Chinese when the record
    has one (``plan_words``), else the English (a plan kept before they existed)."""
    zh = record.get("zh") if lang == "zh" else None
    if isinstance(zh, dict) and zh.get(key):
        return zh[key]
    return record.get(key)


def plan_notes(plan: dict, lang: str) -> list[str]:
    """The plan's notes in the report's language: ``zh.notes`` (aligned with ``notes``) in
    Chinese, the English ones where it has none."""
    notes = list(plan.get("notes") or [])
    zh = (plan.get("zh") or {}).get("notes") if lang == "zh" else None
    if not isinstance(zh, list):
        return notes
    return [z or n for n, z in zip(notes, [*zh, *[None] * len(notes)], strict=False)]


def plan_section(plan: dict, lang: str = "en") -> Section:
    """The optimised calendar as a timeline (item x week, coloured by mechanism)."""
    w = Words(lang)
    rows = pd.DataFrame(plan["promotions"])
    kpis = {w("kpi_status"): plan["status"], w("kpi_promotions"): f"{len(rows)}",
            w("kpi_expected_margin"): f"{plan['expected_incremental_margin']:,.0f}",
            w("kpi_budget_used"): f"{plan['budget_used']:,.0f} / {plan['budget']:,.0f}"}
    if plan.get("gap") is not None:
        kpis[w("kpi_mip_gap")] = f"{100 * plan['gap']:.2f} %"
    notes = plan_notes(plan, lang)
    if rows.empty:
        return Section(w("plan"), kpis=kpis, notes=[*notes, w("plan_empty")])
    rows["label"] = rows["item_id"].astype(str) + " / " + rows["store_id"].astype(str)
    rows["end"] = pd.to_datetime(rows["end_date"]) + pd.Timedelta(days=1)
    rows["option"] = rows["promo_type"] + rows["depth"].map(lambda d: f" {d:g}" if d else "")
    rows = w.values(rows)
    fig = px.timeline(rows, x_start="start_date", x_end="end", y="label", color="promo_type",
                      hover_data=["option", "expected_units", "baseline_units",
                                  "expected_incremental_margin"],
                      title=w("plan_chart"), labels=w.labels(rows))
    fig.update_yaxes(autorange="reversed")
    if "caveat" in rows and lang == "zh":
        rows["caveat"] = [said_in(p, "caveat", lang) for p in plan["promotions"]]
    table = rows[["start_date", "item_id", "store_id", "option", "baseline_units",
                  "expected_units", "expected_incremental_margin", "explanation",
                  *(["caveat"] if "caveat" in rows else [])]].copy()
    table["explanation"] = table["explanation"].map(lambda e: explain_option(e, lang))
    return Section(w("plan"), kpis=kpis, figures=[fig], tables=[table], notes=notes)


def advice_section(advice: dict, limit: int = 15, lang: str = "en") -> Section:
    """The most valuable advice: in English with its Chinese action beside it, or in Chinese."""
    w = Words(lang)
    if lang == "zh":
        rows = pd.DataFrame([{"subject": a["subject"], "advice": a["zh"]["action"],
                              "reason": a["zh"]["reason"], "gain": a["expected_gain"],
                              "sure": w("yes") if a["confident"] else w("no")}
                             for a in advice["advice"][:limit]])
    else:
        rows = pd.DataFrame([{"subject": a["subject"], "advice": a["action"],
                              "建议": a["zh"]["action"], "why": a["reason"],
                              "gain": a["expected_gain"],
                              "sure": "yes" if a["confident"] else "no"}
                             for a in advice["advice"][:limit]])
    return Section(w("advice"), tables=[rows] if len(rows) else [], notes=[w("advice_note")])
