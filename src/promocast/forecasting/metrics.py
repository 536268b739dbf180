"""Accuracy of point and quantile forecasts over a backtest predictions frame (DESIGN §3).

The predictions frame is what ``backtest --predictions FILE`` writes, so anyone can recompute
these numbers from the file: one row per scored point with ``unique_id, cutoff, ds, actual``, one
column per model holding its median forecast and, optionally, quantile columns named
``<model>-q<quantile>`` with the quantile as a fraction written with up to 3 decimals and no
trailing zeros: ``lgbm-q0.1`` (10 %), ``lgbm-q0.05``, ``lgbm-q0.5``, ``lgbm-q0.975``
(:func:`quantile_column`, :func:`parse_quantile_column`).

Every metric pools all (series, cutoff, step) points of a model, except the scaled ones:

- ``mae``, ``rmse``, ``pinball``: in units.
- ``mape`` (%): mean of 100 |a - f| / a over points with actual a > 0.
- ``smape`` (%): mean of 200 |a - f| / (|a| + |f|) over points with |a| + |f| > 0.
- ``wape`` (%): 100 sum |a - f| / sum |a|.
- ``mase`` / ``rmsse`` (unitless): each point's error is divided by the in-sample seasonal-naive
  MAE / MSE of its series computed on the training data up to and including the point's cutoff
  (what the model could see: the scale moves with the origin, as in utilsforecast), then
  MASE_s = mean of |e| / MAE-scale and RMSSE_s = sqrt(mean of e^2 / MSE-scale) per series, and
  both are averaged over series. Series (at a cutoff) with a zero or unknown scale are left out.
  The seasonal-naive pairs are ``season_length`` *periods* apart (by date, not by row), so a gap
  in the training data drops the pairs across it instead of pairing the wrong periods; "up to
  the cutoff" compares dates, so an off-grid cutoff never takes in the next period.
- ``pinball`` (units): mean over the model's quantile columns of the mean pinball loss
  max(q (a - f_q), (q - 1)(a - f_q)).
- ``coverage_80`` (%, 0-100): share of points with ``q0.1 <= actual <= q0.9`` (bounds included).

A point counts for a model when its actual and the model's median are both present (a quantile
column's missing values leave only that quantile's loss out). A metric that cannot be computed
(no points, no training data, no quantile columns) is ``None`` in :func:`evaluate` (never absent,
never NaN) and NaN in the data frames of :func:`per_series_winner` and :func:`metrics_by_horizon`.
Rows are put in a canonical order first, so results do not depend on the frame's row order.

utilsforecast.losses computes the metrics whose definition it shares (mae, rmse, wape, mape and
smape on the points they are defined on, pinball, coverage); the scaled metrics are written here
because DESIGN §3 averages per series and lags by date.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
from utilsforecast import losses as ufl

from promocast.forecasting.origins import pandas_freq, period_ordinals

__all__ = [
    "ERROR_METRICS",
    "METRICS",
    "evaluate",
    "metrics_by_horizon",
    "parse_quantile_column",
    "per_series_winner",
    "quantile_column",
    "quantile_columns",
]

METRICS = ("mae", "rmse", "mape", "smape", "wape", "mase", "rmsse", "pinball", "coverage_80")
"""The keys of every model's entry in ``backtest --json`` (DESIGN §3), in that order."""
ERROR_METRICS = tuple(m for m in METRICS if m != "coverage_80")
"""Metrics where lower is better (coverage_80 is best at 80, not at its minimum)."""

_QCOL = re.compile(r"^(?P<model>.+)-q(?P<q>0?\.\d{1,3})$")
_GROUP = "_group"
_NO_CUTOFF = "__promocast_no_cutoff__"
"""A column name that never exists: utilsforecast then groups by ``id_col`` alone, which is how
we hand it our own grouping (all points, one series, one step ahead)."""
_MAE_SCALE, _MSE_SCALE = "_mae_scale", "_mse_scale"
_SERIES = "_series"


def quantile_column(model: str, q: float) -> str:
    """``lgbm-q0.1``: the column of model ``lgbm``'s 10 % quantile forecast (units).

    ``q`` is a fraction strictly between 0 and 1 with at most 3 decimals, written without trailing
    zeros (0.05 -> ``q0.05``, 0.975 -> ``q0.975``), so one quantile has exactly one column name.
    """
    q = float(q)
    if not 0 < q < 1 or abs(round(q, 3) - q) > 1e-9:
        raise ValueError(f"quantile must be in (0, 1) with at most 3 decimals, got {q!r}")
    return f"{model}-q{round(q, 3):g}"


def parse_quantile_column(name: str) -> tuple[str, float] | None:
    """``("lgbm", 0.1)`` for ``"lgbm-q0.1"``; ``None`` when ``name`` is not a quantile column.

    Lenient on input written by hand (``lgbm-q.1``, ``lgbm-q0.10``); the model part may itself
    contain hyphens (the quantile is the last ``-q`` suffix).
    """
    match = _QCOL.match(name)
    if match is None:
        return None
    q = float(match["q"])
    return (match["model"], q) if 0 < q < 1 else None


def quantile_columns(columns: Iterable[str], model: str) -> dict[float, str]:
    """The quantile columns of ``model`` among ``columns``, keyed by quantile, ascending."""
    found: dict[float, str] = {}
    for column in columns:
        parsed = parse_quantile_column(str(column))
        if parsed is None or parsed[0] != model:
            continue
        if parsed[1] in found:
            raise ValueError(
                f"columns {found[parsed[1]]!r} and {column!r} both hold the "
                f"{parsed[1]:g} quantile of {model!r}: keep one"
            )
        found[parsed[1]] = str(column)
    return dict(sorted(found.items()))


def _clean(value: float) -> float | None:
    """A plain float for JSON, or ``None`` for what could not be computed (NaN, inf)."""
    return float(value) if value is not None and math.isfinite(value) else None


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {missing}; it has {list(frame.columns)}")


def _training_scales(
    train: pd.DataFrame, points: pd.DataFrame, season_length: int, freq: str | None
) -> pd.DataFrame:
    """Seasonal-naive in-sample MAE and MSE (units, units^2) per row of ``points``.

    ``points`` has ``unique_id`` and, when present, ``cutoff``: each pair is scaled with its
    series' training data up to and including the cutoff (all of ``train`` without a cutoff).
    Differences are taken between periods ``season_length`` apart by date; training rows with a
    missing ``y`` (censored demand) are skipped.
    """
    if int(season_length) != season_length or season_length < 1:
        raise ValueError(f"season_length must be an integer >= 1, got {season_length!r}")
    _require(train, ["unique_id", "ds", "y"], "train")
    nan = np.full(len(points), np.nan)
    rows = train.loc[train["y"].notna(), ["unique_id", "ds", "y"]]
    if rows.empty:
        return pd.DataFrame({_MAE_SCALE: nan, _MSE_SCALE: nan}, index=points.index)
    dates = pd.to_datetime(rows["ds"])
    freq = freq or pandas_freq(dates)
    periods = period_ordinals(dates, freq)
    codes, series = pd.factorize(rows["unique_id"], sort=True)
    first = periods.min()
    offset = periods - first
    width = int(offset.max()) + 1
    order = np.lexsort((offset, codes))
    key = codes[order].astype(np.int64) * width + offset[order]
    if len(key) > 1 and (np.diff(key) == 0).any():
        dup = rows.iloc[order[1:][np.diff(key) == 0][0]]
        raise ValueError(
            f"train has two rows for series {dup['unique_id']!r} on "
            f"{pd.Timestamp(dup['ds']).date()}: one row per series and date"
        )
    y = rows["y"].to_numpy(float)[order]
    lag = np.searchsorted(key, key - season_length).clip(max=len(key) - 1)
    paired = (offset[order] >= season_length) & (key[lag] == key - season_length)
    diff = np.where(paired, y - y[lag], 0.0)
    sorted_codes = codes[order]
    cum = pd.DataFrame({"ae": np.abs(diff), "se": diff**2, "n": paired.astype(float)})
    cum = cum.groupby(sorted_codes, sort=False).cumsum().to_numpy()  # per-series running sums

    # Rows up to and including a cutoff, found by date (in seconds) rather than by period, so a
    # cutoff between two period labels never takes in the label after it.
    seconds = (dates.to_numpy()[order] - dates.min().to_datetime64()) // np.timedelta64(1, "s")
    span = int(seconds.max()) + 1
    time_key = codes[order].astype(np.int64) * span + seconds.astype(np.int64)
    point_codes = series.get_indexer(points["unique_id"]).astype(np.int64)
    if "cutoff" in points:
        cutoffs = pd.to_datetime(points["cutoff"]).to_numpy()
        last = (cutoffs - dates.min().to_datetime64()) // np.timedelta64(1, "s")
        last = np.where(pd.isna(cutoffs), -1, last).astype(np.int64)
    else:
        last = np.full(len(points), span - 1, dtype=np.int64)
    start = np.searchsorted(time_key, point_codes * span, side="left")
    end = np.searchsorted(time_key, point_codes * span + last.clip(-1, span - 1), side="right")
    has_rows = (point_codes >= 0) & (end > start)
    at = (end - 1).clip(min=0)
    sums = np.where(has_rows[:, None], cum[at], 0.0) if len(cum) else np.zeros((len(points), 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        mae_scale = np.where(sums[:, 2] > 0, sums[:, 0] / sums[:, 2], np.nan)
        mse_scale = np.where(sums[:, 2] > 0, sums[:, 1] / sums[:, 2], np.nan)
    return pd.DataFrame({_MAE_SCALE: mae_scale, _MSE_SCALE: mse_scale}, index=points.index)


def _prepare(
    predictions: pd.DataFrame,
    models: Sequence[str],
    train: pd.DataFrame | None,
    season_length: int,
    freq: str | None,
) -> tuple[pd.DataFrame, dict[str, dict[float, str]]]:
    """Checked, canonically ordered copy of the columns we need, with MASE/RMSSE scales.

    Series get integer codes (``_series``, in sorted-name order) because grouping millions of
    rows by strings again for every metric is what would make evaluation slow.
    """
    _require(predictions, ["unique_id", "ds", "actual"], "the predictions frame")
    _require(predictions, list(models), "the predictions frame (one column per model)")
    keys = ["unique_id", "cutoff", "ds"] if "cutoff" in predictions else ["unique_id", "ds"]
    qcols = {m: quantile_columns(predictions.columns, m) for m in models}
    values = list(
        dict.fromkeys(["actual", *models, *(c for q in qcols.values() for c in q.values())])
    )
    frame = predictions[keys + values].reset_index(drop=True)
    for col in keys[1:]:
        frame[col] = pd.to_datetime(frame[col])
    frame[values] = frame[values].astype(float)
    frame[_SERIES] = pd.factorize(frame["unique_id"], sort=True)[0]
    order_keys = [_SERIES, *keys[1:]]
    duplicated = frame.duplicated(order_keys)
    if duplicated.any():
        row = frame.loc[duplicated].iloc[0]
        where = ", ".join(f"{k}={row[k]}" for k in keys)
        raise ValueError(
            f"the predictions frame has {int(duplicated.sum())} duplicate point(s), "
            f"e.g. {where}: one row per {', '.join(keys)}"
        )
    frame = frame.sort_values(order_keys, kind="mergesort").reset_index(drop=True)
    if train is None:
        frame[_MAE_SCALE] = np.nan
        frame[_MSE_SCALE] = np.nan
    else:
        frame = frame.join(_training_scales(train, frame[keys[:-1]], season_length, freq))
    return frame, qcols


def _by_group(
    function: Callable[..., pd.DataFrame],
    data: pd.DataFrame,
    models: list[str] | dict[str, str],
    group: str,
    **kwargs: float,
) -> pd.Series:
    """One utilsforecast loss per value of ``group`` (utilsforecast's ``id_col``)."""
    name = next(iter(models))
    out = function(data, models, id_col=group, target_col="actual", cutoff_col=_NO_CUTOFF, **kwargs)
    return out.set_index(group)[name].astype(float)


def _group_table(
    frame: pd.DataFrame, model: str, qcols: dict[float, str], group: str
) -> pd.DataFrame:
    """Every metric of ``model`` per value of ``group`` (rows: groups, columns: METRICS)."""
    points = frame[frame["actual"].notna() & frame[model].notna()]
    point = points[[group, "actual", model]]
    actual, forecast = points["actual"], points[model]
    table = pd.DataFrame(
        index=pd.Index(pd.unique(frame[group]), name=group), columns=list(METRICS), dtype=float
    )
    table["mae"] = _by_group(ufl.mae, point, [model], group)
    table["rmse"] = _by_group(ufl.rmse, point, [model], group)
    table["wape"] = 100 * _by_group(ufl.wape, point, [model], group)
    table["mape"] = 100 * _by_group(ufl.mape, point[actual > 0], [model], group)
    defined = (actual.abs() + forecast.abs()) > 0
    table["smape"] = 200 * _by_group(ufl.smape, point[defined], [model], group)

    scaled = points[np.isfinite(points[_MAE_SCALE]) & (points[_MAE_SCALE] > 0)]
    error = scaled["actual"] - scaled[model]
    per_series = (
        pd.DataFrame(
            {
                "group": scaled[group].to_numpy(),
                "series": scaled[_SERIES].to_numpy(),
                "ase": (error.abs() / scaled[_MAE_SCALE]).to_numpy(),
                "sse": (error**2 / scaled[_MSE_SCALE]).to_numpy(),
            }
        )
        .groupby(["group", "series"], sort=True)
        .mean()
    )
    table["mase"] = per_series["ase"].groupby(level="group").mean()
    table["rmsse"] = np.sqrt(per_series["sse"]).groupby(level="group").mean()

    losses = [
        _by_group(
            ufl.quantile_loss,
            points.loc[points[col].notna(), [group, "actual", col]],
            {model: col},
            group,
            q=q,
        )
        for q, col in qcols.items()
    ]
    if losses:
        table["pinball"] = pd.concat(losses, axis=1).mean(axis=1)
    if 0.1 in qcols and 0.9 in qcols:
        band = points[[group, "actual", qcols[0.1], qcols[0.9]]].dropna()
        band.columns = [group, "actual", f"{model}-lo-80", f"{model}-hi-80"]
        table["coverage_80"] = 100 * _by_group(ufl.coverage, band, [model], group, level=80)
    return table


def evaluate(
    predictions: pd.DataFrame,
    models: Sequence[str],
    train: pd.DataFrame | None = None,
    season_length: int = 1,
    *,
    freq: str | None = None,
) -> dict[str, dict[str, float | None]]:
    """Every DESIGN §3 metric of each model: ``{model: {metric: value or None}}``.

    ``train`` is the long training frame ``unique_id, ds, y`` (all dates; each cutoff uses its
    own part) that scales MASE / RMSSE, with seasonal-naive pairs ``season_length`` periods
    apart; without it those two are ``None``. ``freq`` (pandas alias, e.g. ``"W-THU"``) only
    serves that pairing and is inferred from the training dates when not given; pass the
    store's own when known. Raises ``ValueError`` on missing columns, duplicate points, or
    duplicate training rows.
    """
    frame, qcols = _prepare(predictions, models, train, season_length, freq)
    frame[_GROUP] = 0
    result: dict[str, dict[str, float | None]] = {}
    for model in models:
        row = _group_table(frame, model, qcols[model], _GROUP).reindex([0]).iloc[0]
        result[model] = {metric: _clean(row[metric]) for metric in METRICS}
    return result


def per_series_winner(
    predictions: pd.DataFrame,
    models: Sequence[str],
    metric: str = "mae",
    train: pd.DataFrame | None = None,
    season_length: int = 1,
    *,
    freq: str | None = None,
) -> pd.DataFrame:
    """The best model of each series by ``metric`` (lower is better), over all its points.

    Returns ``unique_id, best_model, score`` sorted by series; ties go to the model listed first,
    and series where no model has a score are left out. ``mase`` / ``rmsse`` need ``train``.
    """
    if metric not in ERROR_METRICS:
        raise ValueError(
            f"metric must be one of {list(ERROR_METRICS)} (lower is better), got {metric!r}"
        )
    if metric in ("mase", "rmsse") and train is None:
        raise ValueError(f"{metric} scales by the training data: pass train=")
    frame, qcols = _prepare(predictions, models, train, season_length, freq)
    scores = (
        pd.DataFrame(
            {m: _group_table(frame, m, qcols[m], _SERIES)[metric] for m in models},
            columns=list(models),
        )
        .sort_index()
        .dropna(how="all")
    )
    names = frame.drop_duplicates(_SERIES).set_index(_SERIES)["unique_id"]
    return pd.DataFrame(
        {
            "unique_id": names.reindex(scores.index).to_numpy(),
            "best_model": scores.idxmin(axis=1).to_numpy(dtype=object),
            "score": scores.min(axis=1).to_numpy(dtype=float),
        }
    )


def metrics_by_horizon(
    predictions: pd.DataFrame,
    models: Sequence[str],
    train: pd.DataFrame | None = None,
    season_length: int = 1,
    *,
    freq: str | None = None,
) -> pd.DataFrame:
    """Every metric per model and step ahead: ``model, step, mae, ..., coverage_80``.

    ``step`` counts periods from the cutoff (1 = the period right after it), so with a gap G
    the first scored step is G + 1. ``freq`` is inferred from the dates when not given. Accuracy
    usually decays with the step; this table shows by how much.
    """
    _require(predictions, ["cutoff"], "the predictions frame (steps count from the cutoff)")
    frame, qcols = _prepare(predictions, models, train, season_length, freq)
    if frame.empty:
        return pd.DataFrame(columns=["model", "step", *METRICS])
    step_freq = freq or pandas_freq(pd.concat([frame["ds"], frame["cutoff"]]))
    frame["step"] = period_ordinals(frame["ds"], step_freq) - period_ordinals(
        frame["cutoff"], step_freq
    )
    if (frame["step"] < 1).any():
        bad = frame.loc[frame["step"] < 1].iloc[0]
        raise ValueError(
            f"series {bad['unique_id']!r} has a forecast for {bad['ds'].date()}, not "
            f"after its cutoff {bad['cutoff'].date()}"
        )
    tables = []
    for model in models:
        table = _group_table(frame, model, qcols[model], "step").sort_index()
        tables.append(table.reset_index().assign(model=model))
    out = pd.concat(tables, ignore_index=True)
    return out[["model", "step", *METRICS]]
