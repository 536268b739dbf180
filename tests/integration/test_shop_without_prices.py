"""A shop whose sales carry no price (Walmart's layout: units and markdown promotions only).
No effect can be estimated; QA5 #3: once 'promo effects' had run, evaluate and advice
crashed with KeyError 'item_id' on the kept empty result, a plan refused every item with 'no
price elasticity, estimate effects first', and effects printed '0 items' and numpy warnings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from conftest import promocast


def _shop(root: Path) -> Path:
    rng = np.random.default_rng(1)
    days = pd.date_range("2024-01-07", periods=80, freq="W-SUN")
    sales = pd.concat([pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "item_id": item,
                                     "store_id": "1", "units": rng.poisson(50, len(days))})
                       for item in ("A", "B", "C")])
    sales.to_csv(root / "sales.csv", index=False)
    pd.DataFrame({"promo_id": ["M1", "M2"], "promo_type": "percent_off",
                  "start_date": ["2024-06-02", "2024-09-01"],
                  "end_date": ["2024-06-08", "2024-09-07"], "category": None,
                  "item_id": ["A", "B"], "discount_pct": 10}).to_csv(root / "promotions.csv",
                                                                    index=False)
    db = root / "shop.duckdb"
    done = promocast("ingest", str(root / "sales.csv"), str(root / "promotions.csv"),
                     "--db", str(db))
    assert done.returncode == 0, done.stderr
    return db


def test_no_prices_no_effects_said_plainly_and_nothing_crashes(tmp_path: Path) -> None:
    db = _shop(tmp_path)
    effects = promocast("promo", "effects", "--db", str(db), "--json", str(tmp_path / "e.json"))
    assert effects.returncode == 0, effects.stderr
    assert "the sales have no price" in effects.stdout
    assert "RuntimeWarning" not in effects.stderr
    document = json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))
    assert document["items"] == [] and "no price" in document["notes"][0]
    evaluate = promocast("promo", "evaluate", "--db", str(db), "--json", str(tmp_path / "v.json"))
    assert evaluate.returncode == 0, evaluate.stderr
    judged = json.loads((tmp_path / "v.json").read_text(encoding="utf-8"))
    assert {p["promo_id"] for p in judged["promotions"]} == {"M1", "M2"}
    (tmp_path / "rules.yaml").write_text("objective: revenue\n", encoding="utf-8")
    plan = promocast("promo", "plan", "--db", str(db), "--horizon", "4", "--budget", "100",
                     "--rules", str(tmp_path / "rules.yaml"))
    assert plan.returncode == 1
    assert "the sales have no price" in plan.stderr and "Traceback" not in plan.stderr
