"""The report the runner writes after a run's outputs committed (``output.report``).

It never fails the run: the data is committed already, so a report that cannot be
built is one line in the run's notes and the exit code stays 0.
"""
from __future__ import annotations

from dataclasses import dataclass

SUFFIX = "_report.html"


@dataclass
class RunReport:
    path: str | None = None
    note: str | None = None


def report_path(out) -> str | None:
    """Where ``output.report`` puts the file: ``<output.path>_report.html`` for true."""
    if out is None or out.report is False:
        return None
    return out.path.rstrip("/") + SUFFIX if out.report is True else out.report


def report_after_run(spark, recipe) -> RunReport:
    out = recipe.spec.output
    where = report_path(out)
    if where is None:
        return RunReport()
    if not out.stats:
        return RunReport(note="no run report: output.stats is not set (the report reads it); "
                              "set it, or output.report: false")
    from . import write_report

    try:
        path = write_report(spark, out.path, out=where, stats=out.stats, rejects=out.rejects or "",
                            kept=out.path, text_column=recipe.spec.input.text_column,
                            id_column=recipe.spec.input.id_column or "id",
                            recipe_text=recipe.describe())
    except Exception as exc:  # noqa: BLE001 - the outputs are committed; say it, do not fail
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return RunReport(note=f"run report not written ({type(exc).__name__}: {first[:300]}); "
                              f"the outputs are committed; retry with `thresher report {out.path}`")
    return RunReport(path=path)
