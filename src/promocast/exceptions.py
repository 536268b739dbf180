"""Small named exceptions, one per failure a user can act on.

The CLI turns these into messages and exit codes (1 for bad data, 2 for bad usage);
the API turns them into 4xx answers. Anything else is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class PromocastError(Exception):
    """Base of every error promocast raises on purpose."""


class UsageError(PromocastError):
    """The call itself is wrong (unknown option value, missing argument)."""


@dataclass(frozen=True)
class RowError:
    """One broken value: where it is and which rule it breaks."""

    file: str
    row: int | None  # 1-based line in the file (header is line 1 for CSV); None = whole file
    column: str | None
    value: str | None
    rule: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        if self.value is not None:
            where += f", value {self.value!r}"
        return f"{where}: {self.rule}"


@dataclass
class DataValidationError(PromocastError):
    """Input data break the data contract; nothing was written."""

    errors: list[RowError] = field(default_factory=list)
    total: int | None = None
    shown: int = 20
    outcome: str = "nothing was written to the store"
    """What the refusal left undone, as the message says it (a what-if scenario is never
    stored: "nothing was simulated")."""

    def __post_init__(self) -> None:
        if self.total is None:
            self.total = len(self.errors)
        super().__init__(self.message())

    def __reduce__(self):  # pickled whole (a what-if worker raises it in another process)
        return (type(self), (self.errors, self.total, self.shown, self.outcome))

    def headline(self) -> str:
        return f"refused: {self.total} error(s) in the input; {self.outcome}."

    def message(self) -> str:
        lines = [self.headline()]
        lines += [f"  - {e}" for e in self.errors[: self.shown]]
        if (self.total or 0) > self.shown:
            lines.append(f"  ... and {self.total - self.shown} more")
        return "\n".join(lines)


class StoreLockedError(PromocastError):
    """Another process holds the DuckDB write lock."""


class SchemaVersionError(PromocastError):
    """The store was written by a newer promocast than this one."""


class UnknownFormat(UsageError):
    """`--format` names a layout promocast does not know."""


class UnknownTable(UsageError):
    """A file's table cannot be told from its name and no `--table` was given."""


class UnknownSeries(PromocastError):
    """An item or series id that is not in the store."""


class UnknownCustomer(PromocastError):
    """A customer id with no purchase in the store's orders."""


class EmptyStore(PromocastError):
    """The command needs data that has not been ingested yet."""


class NeedsForecast(PromocastError):
    """A quick answer needs a kept result that does not exist yet (say, a forecast covering the
    lead time): start the job that computes it."""


class InfeasiblePlan(PromocastError):
    """The promotion plan's rules cannot all hold at once."""


class InvalidRequest(UsageError):
    """Values that each look right but cannot work together or with the shop's data (a gap as
    long as the horizon, folds reaching before the first sale): found before any work starts,
    and the API's 422."""


class InvalidRules(InvalidRequest):
    """A promotion plan's rules name an unknown item, store, category or event, or an
    impossible value (depth outside 0-90 %, negative budget, end before start)."""


class TooLittleHistory(PromocastError):
    """The shop's history is too short for what was asked (a forecast that far ahead): the
    message names the limit and what to do."""
