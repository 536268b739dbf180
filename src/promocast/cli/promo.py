"""``promocast promo effects|evaluate|simulate|plan``: promotion decisions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from promocast.cli.common import DbOption, JsonOption, out, progress, resolve_db, write_json

CountryOption = Annotated[str, typer.Option("--country", help="Country of the holiday calendar.")]
promo_app = typer.Typer(name="promo", help="Promotion effects, evaluation, what-if and plans.",
                        no_args_is_help=True)


def _say(text: str) -> None:
    out.print(text, highlight=False, markup=False, soft_wrap=True)


def _num(value: float | None, spec: str = "+.2f") -> str:
    return "-" if value is None else format(value, spec)


@promo_app.command()
def effects(
    level: Annotated[float, typer.Option("--level", min=0.5, max=0.99, help="Coverage of the intervals.")] = 0.9,
    refresh: Annotated[bool, typer.Option("--refresh", help="Re-estimate even if the data did not change.")] = False,
    country: CountryOption = "CN",
    db: DbOption = None,
    json_out: JsonOption = None,
) -> None:
    """Own-price elasticity per item (with an interval), lift per mechanism, post-promotion dip,
    cannibalisation and cross-price elasticities; implausible results are flagged.

    Example: promocast promo effects --json effects.json
    """
    from promocast.services.promotions import run_effects

    with progress("promotion effects") as update:
        document = run_effects(resolve_db(db), country=country, level=level, refresh=refresh,
                               progress=update)
    write_json(json_out, document)
    pct = int(round(100 * document["level"]))
    _say(f"{len(document['items'])} items; elasticity with its {pct} % interval, lifts:")
    _say(f"{'item':<14}{'store':<8}{'elasticity':>11}  {'interval':<17}{'threshold':>10}"
         f"{'gift':>7}{'flash':>7}{'bundle':>7}{'feature':>8}{'dip':>6}")
    for item in document["items"]:
        lo, hi = item["price_elasticity_ci"]
        lift = item["lift"]
        _say(f"{str(item['item_id']):<14}{str(item['store_id']):<8}"
             f"{_num(item['price_elasticity']):>11}  [{_num(lo)}, {_num(hi)}]".ljust(50)
             + "".join(f"{_num(lift.get(m)):>{w}}" for m, w in (
                 ("threshold", 10), ("gift", 7), ("flash_sale", 7), ("bundle", 7),
                 ("feature_display", 8)))
             + f"{_num(item['post_promo_dip'], '.2f'):>6}")
    for cat in document["categories"]:
        lo, hi = cat["price_elasticity_ci"]
        _say(f"category {cat['category']}: elasticity {_num(cat['price_elasticity'])} "
             f"[{_num(lo)}, {_num(hi)}] over {cat['n_items']} items")
    borrowed = [f for f in document["flags"] if f["reason"].startswith("not identified")]
    warnings = [f for f in document["flags"] if not f["reason"].startswith("not identified")]
    if borrowed:
        _say(f"{len(borrowed)} estimates not identified by the item's own data (the category's "
             "value is used; see flags in --json)")
    if warnings:
        _say(f"{len(warnings)} implausible results to check:")
        for flag in warnings[:20]:
            _say(f"  {flag['item_id']} {flag['parameter']} = {_num(flag['value'])}: "
                 f"{flag['reason']}")


@promo_app.command()
def evaluate(
    out_file: Annotated[Path | None, typer.Option("--out", help="Export the ranked table (.csv, .xlsx or .parquet).")] = None,
    refresh: Annotated[bool, typer.Option("--refresh", help="Re-evaluate even if the data did not change.")] = False,
    country: CountryOption = "CN",
    db: DbOption = None,
    json_out: JsonOption = None,
) -> None:
    """Judge past promotions against a counterfactual baseline (the forecaster with the
    promotion switched off): incremental units, revenue, discount cost, incremental margin,
    ROI, units taken from other items, post-promotion dip; ranked.

    Example: promocast promo evaluate --out promotions.xlsx --json evaluate.json
    """
    from promocast.services.promotions import run_evaluate

    with progress("evaluate promotions") as update:
        document = run_evaluate(resolve_db(db), country=country, out=out_file, refresh=refresh,
                                progress=update)
    write_json(json_out, document)
    rows = document["promotions"]
    _say(f"{len(rows)} promotions ranked by {document['ranked_by']}")
    _say(f"{'#':>3} {'promo':<12}{'type':<16}{'start':<11}{'baseline':>10}{'actual':>10}"
         f"{'incr.':>9}{'incr. margin':>14}{'ROI':>8}")
    for k, r in enumerate(rows[:25], start=1):
        roi = r.get("roi")
        _say(f"{k:>3} {str(r['promo_id']):<12}{str(r['promo_type']):<16}"
             f"{str(r.get('start', ''))[:10]:<11}{_num(r.get('baseline_units'), ',.0f'):>10}"
             f"{_num(r.get('actual_units'), ',.0f'):>10}{_num(r.get('incremental_units'), '+,.0f'):>9}"
             f"{_num(r.get('incremental_margin'), '+,.0f'):>14}"
             f"{'-' if roi is None else format(100 * roi, '+.0f') + ' %':>8}")
    if len(rows) > 25:
        _say(f"... {len(rows) - 25} more (--json or --out for all)")
    for note in document["notes"]:
        _say(f"note: {note}")


@promo_app.command()
def advice(
    out_file: Annotated[Path | None, typer.Option("--out", help="Export the advice (.csv, .xlsx or .parquet).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="en or zh.")] = "en",
    country: CountryOption = "CN",
    db: DbOption = None,
    json_out: JsonOption = None,
) -> None:
    """Plain-language advice per item and category: better discount depths, mechanisms to
    stop, with the money at stake and how sure it is.

    Example: promocast promo advice --lang zh --out advice.xlsx
    """
    from promocast.exceptions import UsageError
    from promocast.services.promotions import run_advice

    if lang not in ("en", "zh"):
        raise UsageError(f"--lang takes en or zh, got {lang!r}")
    with progress("promotion advice") as update:
        document = run_advice(resolve_db(db), country=country, out=out_file, progress=update)
    write_json(json_out, document)
    for a in document["advice"][:30]:
        text = a["zh"] if lang == "zh" else a
        sure = "" if a["confident"] else (" (不确定)" if lang == "zh" else " (uncertain)")
        _say(f"- [{a['subject']}] {text['action']}{sure}: {text['reason']}")
    if len(document["advice"]) > 30:
        _say(f"... {len(document['advice']) - 30} more (--json or --out for all)")
    for note in document.get("notes", []):
        _say(("注意：" if lang == "zh" else "note: ") + note[lang])


@promo_app.command()
def plan(
    horizon: Annotated[int, typer.Option("--horizon", min=1, help="Plan periods ahead: weeks (months for a monthly shop) unless the rules say period: D or M.")],
    budget: Annotated[float | None, typer.Option("--budget", min=0, help="Discount budget (give-aways + fixed costs) for the whole plan.")] = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="Rules file (YAML or JSON): grid, caps, gaps, exclusions, required festivals.")] = None,
    country: CountryOption = "CN",
    db: DbOption = None,
    json_out: JsonOption = None,
) -> None:
    """Which items get which mechanism and depth in which weeks: a MILP maximising expected
    incremental margin under the budget and the rules; each choice explained.

    Example: promocast promo plan --horizon 8 --budget 5000 --rules rules.yaml --json plan.json
    """
    from promocast.services.promotions import run_plan

    with progress("promotion plan") as update:
        document = run_plan(resolve_db(db), horizon=horizon, budget=budget, rules_path=rules,
                            country=country, progress=update)
    write_json(json_out, document)
    gap = document["gap"]
    _say(f"{document['status']} plan from {document['start']} ({document['periods']} periods): "
         f"{len(document['promotions'])} promotions, expected incremental margin "
         f"{document['expected_incremental_margin']:,.2f}, budget used "
         f"{document['budget_used']:,.2f} of {document['budget']:,.2f}"
         + ("" if gap is None else f", MIP gap {100 * gap:.3f} %"))
    _say(f"{'start':<11}{'item':<14}{'store':<10}{'mechanism':<16}{'depth':>6}"
         f"{'baseline':>10}{'expected':>10}{'incr. margin':>14}")
    for p in document["promotions"]:
        _say(f"{p['start_date']:<11}{str(p['item_id']):<14}{str(p['store_id']):<10}"
             f"{p['promo_type']:<16}{p['depth']:>6g}{p['baseline_units']:>10.1f}"
             f"{p['expected_units']:>10.1f}{_num(p['expected_incremental_margin'], ',.2f'):>14}"
             + ("  *" if p.get("caveat") else ""))
    for note in document["notes"]:
        _say(f"note: {note}")


@promo_app.command()
def simulate(
    scenario: Annotated[Path, typer.Option("--scenario", help="Planned promotions (promotions table columns, optional price): CSV, Excel, Parquet or JSON.")],
    samples: Annotated[int, typer.Option("--samples", min=100, max=20000, help="Joint draws behind the quantiles of totals.")] = 1000,
    country: CountryOption = "CN",
    db: DbOption = None,
    json_out: JsonOption = None,
) -> None:
    """What if these promotions run? Units, revenue and margin per day and in total, with
    quantiles, against the no-promotion baseline; the loss of the category's other items;
    stock that cannot cover the forecast. No refit when effects and baseline are kept.

    Example: promocast promo simulate --scenario planned.csv --json whatif.json
    """
    from promocast.services.whatif import run_simulate

    with progress("what-if") as update:
        document = run_simulate(resolve_db(db), scenario=scenario, country=country,
                                samples=samples, progress=update)
    write_json(json_out, document)
    totals = document["totals"]
    levels = [q for q in document["quantiles"] if q in (0.1, 0.9)] or document["quantiles"][:1]

    def band(name: str, spec: str = ",.0f") -> str:
        row = totals.get(name) or {}
        parts = [f"{_num(row.get('expected'), spec)}"]
        spread = [row.get(f"q{q:g}") for q in levels]
        if len(spread) == 2 and None not in spread:
            parts.append(f"(80 %: {_num(spread[0], spec)} .. {_num(spread[1], spec)})")
        return " ".join(parts)

    _say(f"scenario {scenario}: {sum(1 for i in document['items'] if i.get('role') == 'promoted')}"
         f" promoted item x store series, {len(document['days'])} rows ({document['seconds']} s)")
    for name in ("units", "revenue", "margin"):
        _say(f"{name:<8} with promotions {band(name)}; baseline {band('baseline_' + name)}; "
             f"incremental {band('incremental_' + name)}")
    for warning in document["warnings"]:
        _say(f"warning ({warning.get('kind')}): {warning.get('message')}")


def register(app: typer.Typer) -> None:
    app.add_typer(promo_app)
