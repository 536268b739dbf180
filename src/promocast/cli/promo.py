"""``promocast promo effects|evaluate|simulate|plan``: promotion decisions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from promocast.cli.common import DbOption, JsonOption, out, progress, resolve_db, write_json
from promocast.cli.table import Column, table_lines

CountryOption = Annotated[str, typer.Option(
    "--country", help="Country of the holiday calendar (ISO code; auto: the stores table's country, else CN).")]
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
    country: CountryOption = "auto",
    db: DbOption = None,
    json_out: JsonOption = None,
) -> None:
    """Own-price elasticity per item (with an interval), lift per mechanism, post-promotion dip,
    cannibalisation and cross-price elasticities; implausible results are flagged.

    Example: promocast promo effects --json effects.json
    """
    from promocast.services.promotions import run_effects
    from promocast.services.results import effect_flags

    with progress("promotion effects") as update:
        document = run_effects(resolve_db(db), country=country, level=level, refresh=refresh,
                               progress=update)
    write_json(json_out, document)
    if not document["items"]:
        for note in document.get("notes") or ["no effect could be estimated"]:
            _say(f"note: {note}")
        return
    pct = int(round(100 * document["level"]))
    _say(f"{len(document['items'])} items; elasticity with its {pct} % interval, lifts:")
    lifts = (("threshold", "threshold", 10), ("gift", "gift", 7), ("flash", "flash_sale", 7),
             ("bundle", "bundle", 7), ("feature", "feature_display", 8))
    columns = [Column("item", 14), Column("store", 8), Column("elasticity", 11, ">"),
               Column("interval", 17, before=2),
               *(Column(header, width, ">") for header, _m, width in lifts),
               Column("dip", 6, ">")]
    rows = [[str(item["item_id"]), str(item["store_id"]), _num(item["price_elasticity"]),
             "[{}, {}]".format(*map(_num, item["price_elasticity_ci"])),
             *(_num(item["lift"].get(m)) for _h, m, _w in lifts),
             _num(item["post_promo_dip"], ".2f")] for item in document["items"]]
    for line in table_lines(columns, rows):
        _say(line)
    for cat in document["categories"]:
        lo, hi = cat["price_elasticity_ci"]
        _say(f"category {cat['category']}: elasticity {_num(cat['price_elasticity'])} "
             f"[{_num(lo)}, {_num(hi)}] over {cat['n_items']} items")
    if alike := document.get("categories_alike"):
        _say("categories do not differ measurably in " + ", ".join(alike) + ": each shows the "
             "shop's value (each category's own mean: 'own' in --json)")
    split = effect_flags(document)
    borrowed, warnings = split["borrowed"], split["implausible"]
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
    country: CountryOption = "auto",
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
    columns = [Column("#", 3, ">"), Column("promo", 12, before=1), Column("type", 16),
               Column("start", 11), Column("baseline", 10, ">"), Column("actual", 10, ">"),
               Column("incr.", 9, ">"), Column("incr. margin", 14, ">"), Column("ROI", 8, ">"),
               Column("noise", 6, before=2)]
    cells = [[str(k), str(r["promo_id"]), str(r["promo_type"]), str(r.get("start", ""))[:10],
              _num(r.get("baseline_units"), ",.0f"), _num(r.get("actual_units"), ",.0f"),
              _num(r.get("incremental_units"), "+,.0f"), _num(r.get("incremental_margin"), "+,.0f"),
              "-" if r.get("roi") is None else format(100 * r["roi"], "+.0f") + " %",
              "within" if r.get("within_noise") else ""]
             for k, r in enumerate(rows[:25], start=1)]
    for line in table_lines(columns, cells):
        _say(line)
    if len(rows) > 25:
        _say(f"... {len(rows) - 25} more (--json or --out for all)")
    for note in document["notes"]:
        _say(f"note: {note}")


@promo_app.command()
def advice(
    out_file: Annotated[Path | None, typer.Option("--out", help="Export the advice (.csv, .xlsx or .parquet).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="en or zh.")] = "en",
    country: CountryOption = "auto",
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
    country: CountryOption = "auto",
    db: DbOption = None,
    json_out: JsonOption = None,
    lang: Annotated[str, typer.Option("--lang", help="Language of the notes: en or zh.")] = "en",
) -> None:
    """Which items get which mechanism and depth in which weeks: a MILP maximising expected
    incremental margin under the budget and the rules; each choice explained.

    Example: promocast promo plan --horizon 8 --budget 5000 --rules rules.yaml --json plan.json
    """
    from promocast.exceptions import UsageError
    from promocast.services.promotions import run_plan

    if lang not in ("en", "zh"):
        raise UsageError(f"--lang takes en or zh, got {lang!r}")

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
    columns = [Column("start", 11), Column("item", 14), Column("store", 10),
               Column("mechanism", 16), Column("depth", 6, ">"), Column("baseline", 10, ">"),
               Column("expected", 10, ">"), Column("incr. margin", 14, ">")]
    promotions = document["promotions"]
    lines = table_lines(columns, [
        [str(p["start_date"]), str(p["item_id"]), str(p["store_id"]), str(p["promo_type"]),
         f"{p['depth']:g}", f"{p['baseline_units']:.1f}", f"{p['expected_units']:.1f}",
         _num(p["expected_incremental_margin"], ",.2f")] for p in promotions])
    _say(lines[0])
    for line, p in zip(lines[1:], promotions, strict=True):
        _say(line + ("  *" if p.get("caveat") else ""))
    notes = document["notes"]
    if lang == "zh":  # zh.notes runs alongside notes (promotions.plan_words); English if absent
        zh = (document.get("zh") or {}).get("notes") or []
        notes = [z or n for z, n in zip(zh, notes, strict=False)] + notes[len(zh):]
    for note in notes:
        _say(("注意：" if lang == "zh" else "note: ") + note)


@promo_app.command()
def simulate(
    scenario: Annotated[Path, typer.Option("--scenario", help="Planned promotions (promotions table columns, optional price): CSV, Excel, Parquet or JSON.")],
    samples: Annotated[int, typer.Option("--samples", min=100, max=20000, help="Joint draws behind the quantiles of totals.")] = 1000,
    country: CountryOption = "auto",
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
    for note in document.get("notes", []):
        _say(f"note: {note}")


def register(app: typer.Typer) -> None:
    app.add_typer(promo_app)
