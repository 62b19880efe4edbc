"""The runner: read, run every step, count drops per reason, write outputs atomically.

Every row flows through every step with three bookkeeping columns (reason, step,
detail; null while the row is live), so one aggregation accounts for every row:
``rows_in == rows_kept + sum(dropped_by_reason)`` holds by construction and is
re-checked. In ``staged`` mode (default) each step is materialised and timed; in
``fused`` mode the whole recipe is one Spark plan and only the total is timed.

Example::

    from thresher.operators import run
    result = run("recipes/quickstart.yaml", overrides=["output.mode=overwrite"])
    result.stats.show()
"""
from __future__ import annotations

import contextlib
import dataclasses
import glob
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .base import DROP_REASON, DROP_STEP, INTERNAL_COLUMNS, live, tally_columns
from .errors import ColumnContractError, InputError, OutputError, OutputExistsError, ThresherError
from .io import read_output, write_output, output_exists
from .read_step import READ_STEP, REJECT_COLUMNS, check_unique_ids, prepare, read_source
from .measures import MEASURES, metrics_path, metrics_table, sample_below
from .io.group import OutputLock, RunGroup, recover_groups
from .recipe import Recipe
from .connect import begin_run, take_notes
from .session import get_or_create_session
from .progress import Progress
from .report.at_run_end import report_after_run, report_path
from .stats import STATS_SCHEMA, StepStats, build_step_stats, format_summary, stats_rows, summary_html



@dataclass
class RunResult:
    """What a run returns: the kept rows, the rejects, the stats table and where they went."""

    recipe: Recipe
    run_id: str
    output: DataFrame
    rejects: DataFrame
    stats: DataFrame
    steps: list[StepStats]
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    cached: DataFrame | None = field(default=None, repr=False)  # what output/rejects read
    notes: list[str] = field(default_factory=list)  # what the run skipped or changed, in words

    def _repr_html_(self) -> str:
        """A notebook shows the summary as a table (Databricks: ``displayHTML(result._repr_html_())``)."""
        return summary_html(self.steps, recipe=self.recipe.spec.name, outputs=self.outputs)

    def release(self) -> None:
        """Free the run's caches and stage checkpoints (a notebook running recipe after
        recipe in one session). ``output`` and ``rejects`` read back from the written
        tables stay usable; without an output section, do not use them afterwards: their
        lineage reads the released stage checkpoints."""
        if self.cached is not None:
            self.cached.unpersist()
            self.cached = None
        for op in self.recipe.operators:
            op.release()


def load(recipe: Recipe | str | os.PathLike, overrides=()) -> Recipe:
    if isinstance(recipe, Recipe):
        if overrides:
            raise ThresherError("overrides apply when loading a recipe file; got an already-built Recipe")
        return recipe
    return Recipe.from_yaml(recipe, overrides)


def preflight(recipe: Recipe) -> None:
    """Checks that need no Spark: the input exists, no output is in the way."""
    inp = recipe.spec.input
    if os.path.isabs(inp.path) and not glob.glob(inp.path):
        raise InputError(f"{recipe.where('input', 'path')}: input path not found: {inp.path} "
                         f"(input.format {inp.format})")
    out = recipe.spec.output
    if out is not None and out.mode == "error":
        metrics = metrics_path(out.stats) if records_metrics(recipe) else None
        for label, path in (("output", out.path), ("rejects", out.rejects), ("stats", out.stats),
                            ("metrics", metrics)):
            if path and output_exists(format=out.format, path=path):
                key = {"output": "path", "metrics": "stats"}.get(label, label)
                raise OutputExistsError(
                    f"{recipe.where('output', key)}: {label} already exists at {path} and output.mode "
                    "is 'error'; use mode: overwrite or append, or another path")


def run(recipe: Recipe | str | os.PathLike, *, spark=None, overrides=(), dry_run: bool = False,
        use_recipe_master: bool = True, echo=print,
        progress: str | Progress | None = None) -> RunResult | None:
    """Run a recipe end to end. ``dry_run`` validates and prints the plan only.
    ``progress``: None (no progress lines), ``"auto"`` (the CLI's: live on a terminal,
    a line per step otherwise, none under CI), a ``Progress`` mode, or a ``Progress``."""
    recipe = load(recipe, overrides)
    if not dry_run and recipe.spec.output is not None:
        # A run killed while writing left a journal: finish or undo its group first,
        # so the checks below see the outputs as they were (local paths; others in begin).
        for line in recover_groups(recipe.spec.output.path):
            echo(f"recovered an interrupted run's outputs: {line}")
    preflight(recipe)
    if dry_run:
        echo(recipe.describe())
        return None
    spec = recipe.spec
    if spark is None:
        spark = get_or_create_session(master=spec.spark.master if use_recipe_master else None,
                                      conf=spec.spark.conf, app_name=spec.spark.app_name or f"thresher:{spec.name}",
                                      remote=spec.spark.remote)
    tracker = _progress(spark, progress)
    begin_run(spark)  # Connect: leftover notes dropped, Connect columns (operators/connect.py)
    run_id = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    t_start = time.perf_counter()

    with contextlib.ExitStack() as held:
        if spec.output is not None:  # one run writes these outputs at a time, from its start
            held.enter_context(OutputLock(spark, spec.output.path, run_id))
        return _run_locked(spark, recipe, run_id, started, t_start, echo, tracker)


def _progress(spark, progress) -> Progress:
    if progress is None:
        return Progress(spark, mode="off")
    if isinstance(progress, Progress):
        return progress
    return Progress.auto(spark) if progress == "auto" else Progress(spark, mode=progress)


def _run_locked(spark, recipe: Recipe, run_id: str, started, t_start: float, echo,
                progress: Progress) -> RunResult:
    spec = recipe.spec
    source, skipped = read_source(spark, recipe)
    _check_contract(recipe, source)
    final, steps = _execute(recipe, source, progress)
    notes = [f"skipped unreadable file {file} ({why})" for file, why in skipped]
    notes += take_notes(spark)  # what Spark Connect made the steps do differently
    if skipped:
        steps[0].details = {**steps[0].details, "skipped_files": float(len(skipped))}

    outputs: dict[str, str] = {}
    tallies = list(tally_columns(final.columns))
    kept = final.where(live()).drop(*INTERNAL_COLUMNS, MEASURES, *tallies)
    rejects = final.where(~live()).drop(MEASURES, *tallies).withColumnsRenamed(REJECT_COLUMNS)
    stats_df = spark.createDataFrame(
        stats_rows(steps, run_id, spec.name, recipe.hash, started), STATS_SCHEMA)
    out = spec.output
    if out is not None:
        info = {"thresher.recipe": spec.name, "thresher.recipe_hash": recipe.hash,
                "thresher.run_id": run_id}
        sides = [side for op in recipe.operators for side in op.side_outputs(kept, run_id)]
        writes = [(side.label, side.df, side.format, side.path, side.mode, ()) for side in sides]
        if out.rejects:
            writes.append(("rejects", rejects, out.format, out.rejects, out.mode, ()))
        writes.append(("kept", kept, out.format, out.path, out.mode, list(out.partition_by)))
        if out.stats:
            writes.append(("stats", stats_df, out.format, out.stats, out.mode, ()))
        if records_metrics(recipe):
            sample = metrics_table(final, run_id=run_id, ops=[s.op for s in steps],
                                   id_column=spec.input.id_column or "id",
                                   below=sample_below(steps[0].rows_in, out.metrics_sample),
                                   drop_step=DROP_STEP, drop_reason=DROP_REASON)
            writes.append(("metrics", sample, out.format, metrics_path(out.stats), out.mode, ()))
        group = RunGroup(spark, run_id, out.path, [(w[0], w[2], w[3]) for w in writes]).begin()
        try:
            with progress.track(f"writing {', '.join(w[0] for w in writes)}"):
                for label, df, fmt, path, mode, partition_by in writes:
                    write_output(df, format=fmt, path=path, mode=mode, partition_by=partition_by,
                                 commit_info=info, group=group)
                    outputs[label] = f"{fmt} {path}"
                group.commit()
        except BaseException as exc:
            _roll_back(group, exc)
            raise
        final.unpersist()
        for op in recipe.operators:  # the outputs hold the result now
            op.release()
        kept = read_output(spark, format=out.format, path=out.path)
        if out.rejects:
            rejects = read_output(spark, format=out.format, path=out.rejects)
    notes += [n for n in take_notes(spark) if n not in notes]  # notes of the writes
    report = report_after_run(spark, recipe)  # after the commit; a failure is a note only
    notes += [report.note] if report.note else []
    summary = format_summary(steps, recipe=spec.name, recipe_hash=recipe.hash, run_id=run_id,
                             total_seconds=time.perf_counter() - t_start, outputs=outputs)
    if notes:
        summary += "\nnotes:\n" + "\n".join(f"  - {n}" for n in notes)
    if report.path:  # last, so that a run's output ends by naming the file to open
        outputs["report"] = f"html {report.path}"
        summary += f"\nreport: {report.path}"
    echo(summary)
    return RunResult(recipe, run_id, kept, rejects, stats_df, steps, outputs, summary,
                     cached=None if out is not None else final, notes=notes)


def _roll_back(group: RunGroup, exc: BaseException) -> None:
    """Undo the outputs this run already committed, so that none of it stays visible."""
    try:
        undone = group.rollback()
    except Exception as undo_exc:  # noqa: BLE001 - the next run retries from the journal
        raise OutputError(f"the run failed while writing its outputs ({type(exc).__name__}: "
                          f"{exc}) and rolling back failed too ({undo_exc}); the next run on "
                          f"{group.anchor} finishes the rollback from the journal") from exc
    if undone and isinstance(exc, Exception):
        exc.add_note(f"thresher: rolled back this run's outputs already written: {', '.join(undone)}")


_FAMILIES = {
    "string": lambda t: t == "string",
    "numeric": lambda t: t in ("tinyint", "smallint", "int", "bigint", "float", "double")
    or t.startswith("decimal"),
    # encoded images, or paths to them (dfn_score)
    "binary or string": lambda t: t in ("binary", "string"),
    "any": lambda t: True,
}


def _check_contract(recipe: Recipe, df: DataFrame) -> None:
    """Every column a step reads exists (from the input or an earlier step) with the right type."""
    available = dict(df.dtypes)
    for op in recipe.operators:
        for column, family in op.requires().items():
            if column not in available:
                raise ColumnContractError(
                    f"step {op.ctx.step} ({op.name}) needs column '{column}', which neither the "
                    f"input nor an earlier step provides; columns available there: {', '.join(available)}")
            dtype = available[column]
            if dtype != "?" and not _FAMILIES[family](dtype):
                raise ColumnContractError(f"step {op.ctx.step} ({op.name}) needs column '{column}' "
                                          f"to be {family}, but it is {dtype}")
        op.check_columns(dict(available))
        for column in op.adds():
            available[column] = "?"  # type known only after Spark analyses the step
    out = recipe.spec.output
    if out is not None:
        missing = [c for c in out.partition_by if c not in available]
        if missing:
            raise ColumnContractError(f"output.partition_by names missing columns: {', '.join(missing)}")


def _drop_counts(df: DataFrame, step: int | None = None
                 ) -> tuple[int, dict[tuple[int, str], int], dict[int, dict[str, float]]]:
    """Rows, drops per (step, reason) and the steps' tallies (``base.tally_column``;
    only ``step``'s when given: later plans still carry earlier steps' columns), in one job."""
    tallies = {c: key for c, key in tally_columns(df.columns).items()
               if step is None or key[0] == step}
    names = {c: f"_tally{i}" for i, c in enumerate(tallies)}
    rows = df.groupBy(DROP_STEP, DROP_REASON).agg(
        F.count(F.lit(1)).alias("count"),
        *[_AGGREGATES[tallies[c][1]][0](F.col(c)).alias(alias)
          for c, alias in names.items()]).collect()
    total = sum(r["count"] for r in rows)
    found: dict[int, dict[str, float]] = {}
    for column, (at, agg, name) in tallies.items():
        values = [r[names[column]] for r in rows if r[names[column]] is not None]
        if values or agg == "sum":  # a min or max over no row is no value at all
            found.setdefault(at, {})[name] = float(_AGGREGATES[agg][1](values) if values else 0)
    return total, {(r[DROP_STEP], r[DROP_REASON]): r["count"]
                   for r in rows if r[DROP_REASON] is not None}, found


# tally aggregate -> (over a group's rows in Spark, over the groups' results in Python)
_AGGREGATES = {"sum": (F.sum, sum), "min": (F.min, min), "max": (F.max, max)}


def records_metrics(recipe: Recipe) -> bool:
    """Whether the run records its metrics sample: only for the run report (on by
    default), which is its one reader. The sample's columns make every step's plan
    larger, which a small run feels (about a third more time for the quickstart's
    1,801 rows), so a run without a report does not pay for it."""
    out = recipe.spec.output
    return (out is not None and bool(out.stats) and report_path(out) is not None
            and out.metrics_sample > 0)


def _sample(recipe: Recipe, rows: int) -> None:
    """Size the metrics sample from the rows read, before any step is planned: the same
    documents are then sampled at every step (operators/measures.py). None where the
    run records none (also resetting an operator that an earlier run sampled)."""
    out = recipe.spec.output
    size = out.metrics_sample if out is not None else None
    below = sample_below(rows, size) if records_metrics(recipe) else None
    for op in recipe.operators:
        op.ctx = dataclasses.replace(op.ctx, sample_below=below)


def _execute(recipe: Recipe, source: DataFrame,
             progress: Progress) -> tuple[DataFrame, list[StepStats]]:
    ops = recipe.operators
    last = len(ops)
    names = [READ_STEP] + [op.name for op in ops]
    level = StorageLevel.MEMORY_AND_DISK
    seconds: dict[int, float] = {}
    prepared = prepare(recipe, source)
    t = time.perf_counter()
    check_unique_ids(recipe, source)  # reads the id column only
    # What this run cached so far: freed if a step fails, so a failed run (a notebook
    # retrying recipe after recipe) leaves no cache behind; steps free their own.
    held: list[DataFrame] = [prepared]
    try:
        if recipe.spec.execution.mode == "staged":
            current = held[0] = prepared.persist(level)
            with progress.step(0, last, READ_STEP):
                rows_in, drops, tallied = _drop_counts(current)
            seconds[0] = time.perf_counter() - t
            _sample(recipe, rows_in)
            for op in ops:
                t = time.perf_counter()
                with progress.step(op.ctx.step, last, op.name):
                    nxt = op.transform(current).persist(level)
                    held.append(nxt)
                    total, counts, step_tallies = _drop_counts(nxt, op.ctx.step)
                    tallied.update(step_tallies)
                seconds[op.ctx.step] = time.perf_counter() - t
                if total != rows_in:
                    raise ThresherError(f"step {op.ctx.step} ({op.name}) changed the row count from "
                                        f"{rows_in} to {total}: operators must mark drops, not remove rows")
                drops.update({k: v for k, v in counts.items() if k[0] == op.ctx.step})
                current.unpersist()
                current = nxt
                held = [nxt]
        else:
            # One plan and one pass: the read step's drops and the rows in come from the
            # final counts too (a dropped row keeps its step), so nothing is cached twice.
            with progress.track(f"steps 0-{last} of {last}, fused into one plan"):
                read_rows = source.count()  # first: it sizes the metrics sample
                _sample(recipe, read_rows)
                chained = prepared
                for op in ops:  # training and dedup steps run their own jobs here
                    chained = op.transform(chained)
                current = chained.persist(level)
                held = [current]
                rows_in, drops, tallied = _drop_counts(current)  # untimed per step: the recipe is one plan
                seconds[0] = time.perf_counter() - t
            if rows_in != read_rows:
                raise ThresherError(f"the recipe changed the row count from {read_rows} to {rows_in}: "
                                    "operators must mark drops, not remove rows")
    except BaseException:
        for frame in held:
            frame.unpersist()
        for op in ops:
            op.release()
        raise
    steps = build_step_stats(rows_in, names, drops, seconds)
    for op in ops:
        steps[op.ctx.step].details = {**op.report(), **tallied.get(op.ctx.step, {})}
    return current, steps


