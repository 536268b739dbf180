"""A what-if's rows: the direct path for plainly valid rows gives the generic parser's frame,
and anything not plain goes through the parser and its named errors."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from promocast.data.schema import PROMO_TYPES
from promocast.exceptions import DataValidationError
from promocast.services import whatif


def _generic(rows: list[dict], monkeypatch: pytest.MonkeyPatch) -> pd.DataFrame:
    with monkeypatch.context() as m:
        m.setattr(whatif, "plain_promotions", lambda *_a, **_k: None)
        return whatif.rows_frame(rows)


def _random_rows(rng: random.Random) -> list[dict]:
    rows = []
    for n in range(rng.randint(1, 6)):
        start = pd.Timestamp("2025-01-01") + pd.Timedelta(days=rng.randrange(0, 60))
        row = {"promo_type": rng.choice([*PROMO_TYPES, " Flash-Sale ", "满减", "discount"]),
               "start_date": str(start.date()),
               "end_date": str((start + pd.Timedelta(days=rng.randrange(0, 20))).date())}
        if rng.random() < 0.8:
            row["item_id"] = rng.choice(["SKU1", " SKU2 ", "7"])
        else:
            row["category"] = rng.choice(["snacks", "dairy"])
        for key, upper in (("discount_pct", 90), ("threshold_amount", 500), ("amount_off", 50),
                           ("gift_value", 30), ("fixed_cost", 1000), ("price", 99)):
            if rng.random() < 0.4:  # discounts of 1 % or more: fractions have their own test
                low = 1 if key == "discount_pct" else 0
                row[key] = rng.choice([round(rng.uniform(low, upper), 2), rng.randrange(0, upper)])
        for key in ("feature", "display"):
            if rng.random() < 0.3:
                row[key] = rng.choice([0, 1])
        if rng.random() < 0.3:
            row["store_id"] = rng.choice(["S1", "online", None])
        if rng.random() < 0.3:
            row["promo_id"] = f"P{n}"
        rows.append(row)
    return rows


def test_plain_rows_give_the_parsers_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    direct = 0
    for _ in range(200):
        rows = _random_rows(rng)
        fast = whatif.rows_frame(rows)
        slow = _generic(rows, monkeypatch)
        pd.testing.assert_frame_equal(fast, slow, check_dtype=False)
        assert fast.dtypes.drop("planned_price").equals(slow.dtypes.drop("planned_price"))
        assert fast.attrs == slow.attrs == {"first_row": 1, "notes": []}
        named = [{**{k: v for k, v in r.items() if k != "price"},
                  "promo_id": r.get("promo_id") or f"W{n}"} for n, r in enumerate(rows)]
        direct += whatif.plain_promotions(named, whatif.PROMOTIONS) is not None
    assert direct > 150  # most random rows are plain


def test_json_discounts_are_read_as_files_are() -> None:
    """A discount of 0.2 is a fraction (QA 5, finding 2) in a JSON what-if as in a file: all
    fractions read x 100 with a note, a fraction among percents refused naming its row."""
    base = {"promo_type": "percent_off", "item_id": "SKU1", "start_date": "2025-01-05",
            "end_date": "2025-01-09"}
    frame = whatif.rows_frame([{**base, "discount_pct": 0.2}, {**base, "discount_pct": 0.35}])
    assert frame["discount_pct"].tolist() == [20.0, 35.0]
    assert "read as percent, x 100" in frame.attrs["notes"][0]
    with pytest.raises(DataValidationError) as refused:
        whatif.rows_frame([{**base, "discount_pct": 20}, {**base, "discount_pct": 0.2}])
    error = refused.value.errors[0]
    assert (error.row, error.column, error.value) == (2, "discount_pct", "0.2")
    assert "write 20 for 20 %" in error.rule


@pytest.mark.parametrize("row, column", [
    ({"discount_pct": 120}, "discount_pct"),
    ({"end_date": "2024-12-01"}, "end_date"),
    ({"promo_type": "mystery"}, "promo_type"),
    ({"item_id": None}, "item_id"),
    ({"start_date": "01/05/2025"}, "start_date"),
    ({"amount_off": -5}, "amount_off"),
])
def test_rows_that_are_not_plain_get_the_parsers_errors(row: dict, column: str) -> None:
    base = {"promo_type": "percent_off", "item_id": "SKU1", "start_date": "2025-01-05",
            "end_date": "2025-01-10", "discount_pct": 20}
    rows = [base, {**base, **row}]
    with pytest.raises(DataValidationError) as caught:
        whatif.rows_frame(rows)
    assert any(e.row == 2 and e.column == column for e in caught.value.errors)


def test_repeated_promo_ids_are_refused_by_the_parser() -> None:
    base = {"promo_type": "gift", "item_id": "SKU1", "start_date": "2025-01-05",
            "end_date": "2025-01-10", "promo_id": "A"}
    with pytest.raises(DataValidationError, match="promo_id"):
        whatif.rows_frame([base, base])


def test_a_weekly_or_monthly_baseline_covers_its_last_period_to_its_end() -> None:
    """A monthly baseline's 2018-02-01 row covers February: a what-if ending on the 5th (its
    dip on the 12th) needs no longer baseline, which used to be forecast again."""
    def grid(dates: list[str]) -> pd.DataFrame:
        return pd.DataFrame({"ds": pd.to_datetime(dates * 2)})

    monthly = grid(["2018-01-01", "2018-02-01"])
    assert whatif.baseline_freq(monthly) == "MS"
    assert whatif.covered_to(monthly, "MS") == pd.Timestamp("2018-02-28")
    weekly = grid(["1997-05-01", "1997-05-08", "1997-05-15"])
    assert whatif.baseline_freq(weekly) == "W"
    assert whatif.covered_to(weekly, "W") == pd.Timestamp("1997-05-21")
    daily = grid(["2024-01-01", "2024-01-02"])
    assert (whatif.baseline_freq(daily), whatif.covered_to(daily, "D")) == ("D", pd.Timestamp("2024-01-02"))
    assert whatif.baseline_freq(grid(["2024-01-01"])) is None
