"""Uploaded file names (``services.upload.safe_name``): readable in any script, never a path."""

from __future__ import annotations

import pytest

from promocast.exceptions import UsageError
from promocast.services.upload import NAME_BYTES, safe_name


@pytest.mark.parametrize(("uploaded", "kept"), [
    ("销售明细.csv", "销售明细.csv"),
    ("../../etc/库存.csv", "库存.csv"),
    ("C:\\exports\\订单 2024.xlsx", "订单_2024.xlsx"),
    ("a\x00b\nc.csv", "a_b_c.csv"),
    ("\u202egpj.csv", "_gpj.csv"),  # a right-to-left override is no letter
    ("...hidden.csv", "hidden.csv"),
    ("promotions (1).CSV.GZ", "promotions__1_.CSV.GZ"),
    ("ｓａｌｅｓ／x.csv", "ｓａｌｅｓ_x.csv"),  # a full-width solidus is no separator here
])
def test_names_keep_letters_of_any_script_and_lose_paths(uploaded: str, kept: str) -> None:
    assert safe_name(uploaded) == kept


@pytest.mark.parametrize("uploaded", ["sales.exe", "..csv", ".csv", "", None, "销售明细"])
def test_other_types_are_refused(uploaded: str | None) -> None:
    with pytest.raises(UsageError, match="upload .csv"):
        safe_name(uploaded)


def test_long_names_are_cut_before_their_suffix() -> None:
    kept = safe_name("销" * 300 + ".csv.gz")
    assert kept.endswith(".csv.gz") and len(kept.encode("utf-8")) <= NAME_BYTES
