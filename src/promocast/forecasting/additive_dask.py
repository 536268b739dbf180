"""The Dask engine's LightGBM with events and prices apart, as the local one
(``forecasting.additive``); its own module because importing it imports Dask."""

from __future__ import annotations

from mlforecast.distributed.models.dask.lgb import DaskLGBMForecast

from promocast.forecasting.additive import EventsApart


class EventsApartDaskLGBM(EventsApart, DaskLGBMForecast):
    """mlforecast's ``DaskLGBMForecast`` whose fit keeps events and prices apart."""
