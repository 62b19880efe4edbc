"""The operator contract.

An operator is one small class: typed keyword-only params (a pydantic model named
``Params``), a declared column contract (``requires`` / ``adds``) and a pure
``transform(df) -> df`` built from Spark expressions. Filters never drop rows:
they mark them with a reason, and the runner drops, counts and keeps the evidence.

All rows flow through every step; a row dropped earlier carries a non-null
``DROP_REASON`` and later filters leave it alone (first reason wins). Operators
that look across rows (dedup, select) must only consider live rows: use
``live()``.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from .measures import Measure, entries

# Internal bookkeeping columns; renamed to drop_* in the rejects output.
DROP_REASON = "_thresher_drop_reason"
DROP_STEP = "_thresher_drop_step"
DROP_DETAIL = "_thresher_drop_detail"
INTERNAL_COLUMNS = (DROP_REASON, DROP_STEP, DROP_DETAIL)
# Per-row counts a step adds for its stats (characters a rewrite removed, PII found):
# ``_thresher_tally__<step>__<agg>__<name>``; the runner aggregates each (sum, min or
# max) into the step's ``details`` as ``name`` and never writes the columns out.
TALLY_PREFIX = "_thresher_tally__"


def tally_column(ctx: "StepContext", name: str, agg: str = "sum") -> str:
    """The column whose ``agg`` (sum, min or max) over all rows becomes ``details[name]``
    in the step's stats. Null counts nothing, so a step tallies only the rows it changed::

        df.withColumn(tally_column(self.ctx, "chars_removed"), F.when(live(), removed))
    """
    if agg not in TALLY_AGGREGATES:
        raise ValueError(f"tally {name!r}: agg must be one of {', '.join(TALLY_AGGREGATES)}, "
                         f"not {agg!r}")
    return f"{TALLY_PREFIX}{ctx.step}__{agg}__{name}"


TALLY_AGGREGATES = ("sum", "min", "max")


def tally_columns(columns: list[str]) -> dict[str, tuple[int, str, str]]:
    """{column: (step, aggregate, name)} for the tally columns among ``columns``."""
    out = {}
    for column in columns:
        if column.startswith(TALLY_PREFIX):
            step, agg, name = column[len(TALLY_PREFIX):].split("__", 2)
            out[column] = (int(step), agg, name)
    return out


def live() -> Column:
    """True for rows no earlier step has dropped (a function: Columns need a session)."""
    return F.col(DROP_REASON).isNull()


class OpParams(BaseModel):
    """Base of every operator's params: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class StepContext:
    """What a step knows about its place in the recipe."""

    text_column: str = "text"
    id_column: str = "id"
    step: int = 0
    op_name: str = ""
    # Text metrics by compiled Java UDFs (True) or SQL expressions (False); None: the
    # session decides at transform time (operators/text/udfs.py).
    jvm_udfs: bool | None = None
    # Where the recipe writes its kept rows (None: no output section), for steps
    # whose state must commit with the output (minhash_dedup's index).
    output_path: str | None = None
    # How the run writes them (overwrite / append / error): the index forgets what an
    # overwrite replaces.
    output_mode: str | None = None
    output_format: str | None = None
    # The runner's sample of rows whose rule evidence is recorded, kept rows included
    # (``measures.sample_below``); None: nothing recorded (a step outside a run).
    sample_below: int | None = None


@dataclass(frozen=True)
class SideOutput:
    """A table a step writes beside the recipe's output, before the output commits.

    The runner writes it with ``write_output`` (``label`` names it in the summary).
    A step that needs the side output to count only once the output is committed
    tags its rows with the run id and checks the output's commit history on read.
    """

    label: str
    df: DataFrame
    path: str
    format: str = "delta"
    mode: str = "append"


@dataclass(frozen=True)
class DropRule:
    """Drop live rows where ``when`` is true, with ``reason`` and an optional ``detail``.

    ``detail`` is a string expression with the evidence (the measured value and the
    bound), written beside the row in the rejects output.
    """

    reason: str
    when: Column
    detail: Column | None = None
    # The evidence as numbers, for the run's metrics sample, when ``detail`` does not
    # read ``label=value < min=bound`` (select's cut).
    measure: Measure | None = None


class Operator:
    """Base class. Subclasses set ``Params`` and implement ``transform``."""

    name: ClassVar[str] = ""
    Params: ClassVar[type[OpParams]] = OpParams

    def __init__(self, **params: Any):
        self.params = self.Params(**params)
        self.ctx = StepContext(op_name=self.name)

    def bind(self, ctx: StepContext) -> "Operator":
        """A copy of this operator placed in a recipe (text/id columns, step index)."""
        bound = copy.copy(self)
        bound.ctx = ctx
        return bound

    @property
    def text(self) -> Column:
        return F.col(self.ctx.text_column)

    def requires(self) -> dict[str, str]:
        """Columns this step reads -> expected type family (string | numeric | any |
        binary or string)."""
        return {self.ctx.text_column: "string"}

    def adds(self) -> list[str]:
        """Columns this step adds to every row."""
        return []

    def transform(self, df: DataFrame) -> DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement transform(df)")

    def check_placement(self) -> None:
        """Checks of the params against the recipe around the step (``self.ctx``: its
        output), made before Spark starts; raise ``RecipeError(message, param=...)``."""

    def check_columns(self, available: dict[str, str]) -> None:
        """Checks of the columns that reach this step (name -> Spark type, ``"?"`` for
        columns earlier steps add), made by the runner before any Spark job; raise a
        ``UserError`` naming the step. ``requires()`` already covers missing columns."""

    def produces(self) -> list[str]:
        """Files this step writes when it runs that later steps read (a model it trains).

        A later step's params may name them although they do not exist yet when the
        recipe is validated (``thresher.operators.models.will_exist``)."""
        return []

    def side_outputs(self, kept: DataFrame, run_id: str) -> list[SideOutput]:
        """Tables to write beside the output, given the recipe's final kept rows."""
        return []

    def release(self) -> None:
        """Free what the last ``transform`` cached (stage outputs, checkpoints).

        The runner calls it once the recipe's result no longer needs them: after the
        outputs are written and read back, or from ``RunResult.release()``.
        """

    def report(self) -> dict[str, float]:
        """What the last ``transform`` measured, for the stats table's ``details``.

        Row-wise operators measure nothing (``{}``); multi-stage ones that run jobs in
        ``transform`` (minhash_dedup) return their per-stage counts and timings.
        """
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.model_dump().items())
        return f"{self.name or type(self).__name__}({args})"


def mark_drops(df: DataFrame, rules: list[DropRule], ctx: StepContext) -> DataFrame:
    """Give live rows matching a rule that rule's reason (first matching rule wins).

    A rule whose condition is null (e.g. a null score) does not drop: operators that
    must drop nulls say so with an explicit rule.
    """
    if not rules:
        return df
    reason = step = detail = None
    for rule in rules:
        cond = live() & F.coalesce(rule.when, F.lit(False))
        label = F.lit(f"{ctx.op_name}:{rule.reason}" if ctx.op_name else rule.reason)
        info = rule.detail if rule.detail is not None else F.lit(None).cast("string")
        if reason is None:
            reason, step, detail = (F.when(cond, label), F.when(cond, F.lit(ctx.step)),
                                    F.when(cond, info))
        else:
            reason, step, detail = (reason.when(cond, label), step.when(cond, F.lit(ctx.step)),
                                    detail.when(cond, info))
    # One withColumns: the sample's entries see the rows as they were live at the input.
    return df.withColumns({
        **entries(rules, ctx, live(), df.columns),
        DROP_REASON: reason.otherwise(F.col(DROP_REASON)),
        DROP_STEP: step.otherwise(F.col(DROP_STEP)),
        DROP_DETAIL: detail.otherwise(F.col(DROP_DETAIL)),
    })


class Filter(Operator):
    """An operator that only drops rows. Implement ``rules()``.

    Example::

        @register("short_filter")
        class ShortFilter(Filter):
            class Params(OpParams):
                min_chars: int = 10
            def rules(self):
                n = F.length(self.text)
                return [DropRule("too_short", n < self.params.min_chars,
                                 F.format_string("chars=%d < %d", n, F.lit(self.params.min_chars)))]
    """

    def rules(self) -> list[DropRule]:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement rules()")

    def transform(self, df: DataFrame) -> DataFrame:
        return mark_drops(df, self.rules(), self.ctx)
