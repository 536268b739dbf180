"""The physical bound on cannibalisation, shared by the what-if and the plan.

Units moved to (halo) or from (cannibalisation) the other items of a category in a store on a
day or period by that cell's promotions cannot exceed in size the promoted items' own
incremental units there: a shopper who switches buys the promoted item instead of a rival.
A ``cannibalisation_rate`` applied to every rival's whole baseline breaks that when a slow
item is promoted among fast ones (2 units a day gaining 1 cannot take 4 a day from a rival
selling 100). Per cell, the rivals' moved units (and the money and draws that go with them)
are scaled by ``rival_scale``.
"""

from __future__ import annotations

import numpy as np


def rival_scale(gain: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """Per cell: min(1, gain / |moved|), the share of the rivals' moved units that may move.

    ``gain``: the promoted items' incremental units in the cell (from their own promotion);
    ``moved``: the rivals' cannibalised (positive) or haloed (negative) units, or their
    absolute sum when both happen in one cell. A gain of 0 or less moves nothing (scale 0);
    a cell where nothing moves keeps scale 1."""
    gain = np.maximum(np.asarray(gain, dtype=float), 0.0)
    size = np.abs(np.asarray(moved, dtype=float))
    safe = np.where(size > 0, size, 1.0)
    return np.where(size > 0, np.minimum(1.0, gain / safe), 1.0)


def bounded_warning(moved: np.ndarray, scale: np.ndarray, cell: str) -> list[dict]:
    """A ``cannibalisation_bounded`` warning when the bound cut some cell's moved units:
    the cell count and the units before and after (sizes, summed over cells)."""
    size = np.abs(np.asarray(moved, dtype=float))
    cut = size * (1 - scale)
    hit = cut > 1e-9
    if not hit.any():
        return []
    before, after = float(size[hit].sum()), float((size * scale)[hit].sum())
    return [
        {
            "kind": "cannibalisation_bounded",
            "cells": int(hit.sum()),
            "units_before": round(before, 2),
            "units_after": round(after, 2),
            "units_cut": round(before - after, 2),
            "message": f"{int(hit.sum())} {cell} cell(s): the rivals' cannibalised / haloed "
            f"units were cut from {before:.2f} to {after:.2f}, no more than the promoted "
            "items' own incremental units (a switching shopper buys the promoted item)",
        }
    ]
