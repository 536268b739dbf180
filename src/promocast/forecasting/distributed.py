"""Run the engine's fits on Dask: statsforecast and mlforecast distribute themselves through
Fugue; this module only opens the cluster, hands them Dask frames and brings answers back.

Statistical models fit one series at a time, so a Dask run gives the same forecasts as a local
one. The LightGBM global model trains data-parallel (``lightgbm.dask`` through mlforecast's
``DistributedMLForecast``): each worker bins its own partition, so the trees, and the
forecasts, differ slightly from a single-machine fit. scikit-learn models have no distributed
trainer in mlforecast; they stay on the local machine (said in the log).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from promocast.exceptions import UsageError

if TYPE_CHECKING:
    from distributed import Client

ENGINES = ("local", "dask")
DISTRIBUTED_ML = ("lgbm",)
"""Global models mlforecast can train on Dask (``DaskLGBMForecast``)."""
log = logging.getLogger("promocast.distributed")


@dataclass(frozen=True)
class DaskEngine:
    """A connected Dask client and how many partitions to cut a frame into."""

    client: Client
    partitions: int

    def frame(self, frame: pd.DataFrame) -> Any:
        """``frame`` as a Dask frame, whole series per partition (the libraries group by
        series inside partitions)."""
        import dask.dataframe as dd

        ids = pd.Index(frame["unique_id"].unique()).sort_values()
        parts = max(1, min(self.partitions, len(ids)))
        # sort by series so from_pandas cuts between series, never inside one
        ordered = frame.sort_values(["unique_id", "ds"], ignore_index=True)
        return dd.from_pandas(ordered, npartitions=parts, sort=False)

    def collect(self, result: Any) -> pd.DataFrame:
        """A library's Dask answer as the pandas frame the local path returns (numpy dtypes:
        object ids, nanosecond dates, float64 values), sorted by series and date."""
        out = result.compute() if hasattr(result, "compute") else result
        out = out.reset_index() if "unique_id" not in out.columns else out.reset_index(drop=True)
        out["unique_id"] = out["unique_id"].astype(str).astype(object)
        out["ds"] = pd.to_datetime(out["ds"]).astype("datetime64[ns]")
        for col in out.columns.drop(["unique_id", "ds"]):
            out[col] = pd.to_numeric(out[col]).astype("float64").to_numpy(na_value=np.nan)
        return out.sort_values(["unique_id", "ds"], ignore_index=True)


def check_engine(engine: str, scheduler: str | None) -> None:
    """Refuse an unknown engine, or a scheduler address without the Dask engine."""
    if engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if scheduler and engine != "dask":
        raise UsageError("--scheduler needs --engine dask")


@contextmanager
def open_engine(engine: str = "local", scheduler: str | None = None,
                workers: int | None = None) -> Iterator[DaskEngine | None]:
    """``None`` for the local engine; for ``dask``, a client of the cluster at ``scheduler``
    (``tcp://host:8786``) or of a LocalCluster of ``workers`` single-threaded processes
    (default 2), closed on exit."""
    check_engine(engine, scheduler)
    if engine == "local":
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask is in the lock file
        raise UsageError("--engine dask needs the [distributed] extra: "
                         "pip install 'promocast[distributed]'") from exc
    cluster = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if scheduler:
            try:
                client = Client(scheduler, timeout="20s")
            except OSError as exc:
                raise UsageError(f"no Dask scheduler answers at {scheduler}: {exc}") from exc
        else:
            cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR)
            client = Client(cluster)
    try:
        count = len(client.scheduler_info().get("workers", {})) or 1
        yield DaskEngine(client, partitions=2 * count)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def fit_predict_distributed(engine: DaskEngine, args: dict, train: pd.DataFrame,
                            static: list[str], horizon: int,
                            x_df: pd.DataFrame | None) -> pd.DataFrame:
    """Fit on Dask the ``DistributedMLForecast`` of ``args`` (the keyword arguments the local
    ``MLForecast`` gets: models, freq, lags, rolling means, date features, target transforms),
    its LightGBM trained data-parallel with the local model's parameters, and forecast
    ``horizon`` periods: unique_id, ds, one column per model, as ``MLForecast.predict`` gives."""
    from mlforecast.distributed import DistributedMLForecast
    from mlforecast.distributed.models.dask.lgb import DaskLGBMForecast

    from promocast.forecasting.additive import EventsApart
    from promocast.forecasting.additive_dask import EventsApartDaskLGBM

    models = {name: (EventsApartDaskLGBM if isinstance(model, EventsApart) else DaskLGBMForecast)(
        **model.get_params()) for name, model in args["models"].items()}
    mlf = DistributedMLForecast(**{**args, "models": models}, engine=engine.client,
                                num_partitions=engine.partitions)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlf.fit(engine.frame(train), static_features=static, weight_col="weight")
        out = mlf.predict(h=horizon, X_df=engine.frame(x_df) if x_df is not None else None)
    return engine.collect(out)
