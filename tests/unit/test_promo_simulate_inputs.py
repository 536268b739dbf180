"""What-if inputs a simulation must not take as they come: effects without items (no
prices to learn from) and positive own-price elasticities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_promo_simulate import ITEMS, day, params, run, scenario


@pytest.mark.parametrize(
    "empty",
    [pd.DataFrame([]), params().iloc[:0], params(price_elasticity=np.nan)],
    ids=["no_columns", "no_rows", "no_elasticity"],
)
def test_effects_without_items_give_a_clear_data_error_not_a_key_error(empty) -> None:
    """The Walmart store (no prices, so no elasticities) kept effects with ``params: []``: a
    what-if raised KeyError 'item_id' in ``category_map`` (HTTP 500). It is a data error now
    (exit 1, HTTP 422) naming what is missing."""
    from promocast.exceptions import DataValidationError
    from promocast.promotions.simulate_inputs import category_map

    assert category_map(pd.DataFrame([]), ITEMS) == dict(zip(ITEMS["item_id"], ITEMS["category"],
                                                              strict=True))
    with pytest.raises(DataValidationError) as caught:
        run(scenario({"item_id": "A", "discount_pct": 20}), par=empty)
    assert "no promotion effects were estimated" in str(caught.value)
    assert "price" in str(caught.value)


def test_positive_elasticity_warns_per_item_and_falls_back_to_a_negative_category() -> None:
    """M5 (QA): FOODS_3_586 +0.91, HOBBIES_2_113 +0.69 were simulated as they came, so 20 %
    off sold fewer units, without a word. Now each such promoted item is named in a warning,
    and takes its category's shrunk elasticity when that one is negative (HOBBIES -3.70:
    HOBBIES_2_113's week went from -0.10 to +0.91 incremental units)."""
    par = params(price_elasticity=[1.5, -2.0, -2.0, -2.0, -2.0, 0.8],
                 price_elasticity_lo=[1.0, -2.0, -2.0, -2.0, -2.0, 0.3],
                 price_elasticity_hi=[2.0, -2.0, -2.0, -2.0, -2.0, 1.3])
    cats = pd.DataFrame({"category": ["juice", "snacks"], "price_elasticity": [-2.0, 0.5],
                         "price_elasticity_lo": [-2.0, 0.1], "price_elasticity_hi": [-2.0, 0.9]})
    frame = scenario({"item_id": "A", "discount_pct": 20}, {"item_id": "Z", "discount_pct": 20})
    sim = run(frame, par=par, category_elasticity=cats)
    a = day(sim, "A", "s1", "2026-06-04")
    assert a["units"] == pytest.approx(10 * 0.8 ** -2.0)  # juice's -2.0, not A's +1.5
    z = day(sim, "Z", "s1", "2026-06-04")
    assert z["units"] == pytest.approx(10 * 0.8 ** 0.8)  # snacks' +0.5 is no better: kept
    found = {w["item_id"]: w for w in sim.warnings if w["kind"] == "positive_elasticity"}
    assert set(found) == {"A", "Z"}
    assert (found["A"]["item_elasticity"], found["A"]["used_elasticity"],
            found["A"]["fallback"]) == (1.5, -2.0, "category")
    assert "uses its category juice's shrunk elasticity -2.00" in found["A"]["message"]
    assert (found["Z"]["used_elasticity"], found["Z"]["fallback"]) == (0.8, None)
    assert "not credible" in found["Z"]["message"]
    # without a category table the item's own value stays, still with its warning
    plain = run(frame, par=par)
    assert day(plain, "A", "s1", "2026-06-04")["units"] == pytest.approx(10 * 0.8 ** 1.5)
    assert {w.get("item_id") for w in plain.warnings if w["kind"] == "positive_elasticity"} \
        == {"A", "Z"}
    # negative elasticities: no such warning
    assert not [w for w in run(frame).warnings if w["kind"] == "positive_elasticity"]
