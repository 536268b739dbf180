"""Request and answer bodies of the API (pydantic): what a client may send, typed once."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from promocast.services.forecasting import parse_models
from promocast.services.inventory import MAX_PACK, MIN_PACK


class ScenarioRow(BaseModel):
    """One planned promotion: the promotions table's columns (DESIGN §2), an optional planned
    price. Meaning is checked by the what-if itself (unknown item, end before start, depth
    outside 0-90 %), with errors naming the row (1 = the list's first item)."""

    model_config = ConfigDict(extra="forbid")

    promo_type: str = Field(max_length=40, examples=["percent_off"])
    start_date: date
    end_date: date
    item_id: str | None = Field(default=None, max_length=200)
    category: str | None = Field(default=None, max_length=200)
    store_id: str | None = Field(default=None, max_length=200)
    promo_id: str | None = Field(default=None, max_length=200)
    discount_pct: float | None = None
    threshold_amount: float | None = None
    amount_off: float | None = None
    gift_value: float | None = None
    feature: int = Field(default=0, ge=0, le=1)
    display: int = Field(default=0, ge=0, le=1)
    fixed_cost: float | None = None
    price: float | None = None


class SimulateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: list[ScenarioRow] = Field(min_length=1, max_length=500)
    samples: int = Field(default=500, ge=100, le=5000,
                         description="Monte Carlo draws behind the quantiles.")
    keep: bool = Field(default=False, description="Keep the result in the store.")
    days: Literal["promoted", "all", "none"] = Field(
        default="promoted", description="Day rows to return: the promoted items' (default), "
        "every touched item's (the category's other items too), or none (totals and items).")


class BacktestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    horizon: int = Field(ge=1, le=366)
    gap: int = Field(default=0, ge=0, le=365)
    folds: int = Field(default=3, ge=1, le=52)
    step: int | None = Field(default=None, ge=1, le=366)
    models: list[str] = Field(default_factory=lambda: ["seasonal_naive", "lgbm", "ensemble"],
                              min_length=1, max_length=20)
    metric: Literal["wape", "mape"] = "wape"

    @field_validator("models")
    @classmethod
    def _known_models(cls, models: list[str]) -> list[str]:
        """An unknown model id is the request's fault (422), not a failed job."""
        return _known(models)


def _known(models: list[str]) -> list[str]:
    parse_models(",".join(models))  # raises ValueError naming the unknown ids
    return models


class ForecastRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    horizon: int = Field(ge=1, le=366)
    models: list[str] = Field(default_factory=lambda: ["lgbm"], min_length=1, max_length=20)
    history: int | None = Field(default=None, ge=2, le=36600, description=(
        "Days of history to learn from (default: all, or the newest 12 M sales rows)."))
    strategy: Literal["auto", "direct", "recursive"] = "auto"

    @field_validator("models")
    @classmethod
    def _known_models(cls, models: list[str]) -> list[str]:
        return _known(models)


class ExplainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    store_id: str | None = Field(default=None, max_length=200)
    horizon: int | None = Field(default=None, ge=1, le=366)


class EffectsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh: bool = False


class PlanRequest(BaseModel):
    """``promo plan``: the rules as the rules file holds them (see ``promotions.rules``)."""

    model_config = ConfigDict(extra="forbid")

    horizon: int = Field(default=8, ge=1, le=52, description="Plan periods: weeks by default, months on a monthly shop (rules period D / W / M).")
    budget: float | None = Field(default=None, gt=0, description="Discount budget (money).")
    rules: dict[str, Any] = Field(default_factory=dict)


class JobAccepted(BaseModel):
    job_id: str
    status: str = "queued"
    url: str


class PropensityRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    horizon_days: int = Field(default=30, ge=7, le=365, description="Label: buys within N days.")
    split_date: date | None = None


class TargetsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_id: str | None = Field(default=None, max_length=200)
    category: str | None = Field(default=None, max_length=200)
    top: int = Field(default=100, ge=1, le=100_000)


class InventoryRequest(BaseModel):
    """Stock levels computed as a job (forecasts first when no kept forecast covers lead time
    + review period)."""
    model_config = ConfigDict(extra="forbid")

    service_level: float = Field(default=0.95, gt=0.5, lt=1.0)
    lead_time: int = Field(default=3, ge=1, le=365)
    review_period: int | None = Field(default=None, ge=1, le=365)
    """Periods between orders; None: a week (7 for daily data, 1 for weekly or monthly)."""
    pack_size: float = Field(default=1.0, ge=MIN_PACK, le=MAX_PACK)
    min_order: float = Field(default=0.0, ge=0, le=1e9)


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service_level: float = Field(default=0.95, gt=0.5, lt=1.0)
    lead_time: int = Field(default=3, ge=1, le=365)
    review_period: int | None = Field(default=None, ge=1, le=365)
    """Periods between orders; None: a week (7 for daily data, 1 for weekly or monthly)."""
    folds: int = Field(default=6, ge=1, le=52)
