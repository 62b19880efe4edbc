"""The run report: one self-contained HTML file (inline SVG, no script, no network)
built from a finished run's stats, rejects, kept and metrics tables, never by rerunning it.

Example::

    from thresher.operators.report import write_report
    write_report(spark, "out/quickstart", out="out/quickstart_report.html")
"""
from __future__ import annotations

import os
import platform

from ..errors import UserError
from .page import render
from .panels import compute
from .sources import read_run


def build_report(spark, path: str, *, text_column: str = "text", id_column: str = "id",
                 recipe_text: str | None = None, **tables: str | None) -> str:
    """The HTML of the report of the run whose kept output, stats or rejects is ``path``
    (``stats=``, ``rejects=``, ``kept=``, ``metrics=`` name tables elsewhere)."""
    import pyspark

    from thresher import __version__ as thresher_version

    run = read_run(spark, path, **tables)
    panels = compute(run, text=text_column, id_col=id_column)
    versions = {"thresher": thresher_version, "pyspark": pyspark.__version__,
                "python": platform.python_version()}
    return render(panels, recipe_text=recipe_text, versions=run.delta_versions, paths=run.paths,
                  extra={f"{k} version": v for k, v in versions.items()})


def write_report(spark, path: str, *, out: str, **kwargs) -> str:
    """Write the report to ``out`` (through a temporary file, so a reader never sees half
    of it) and return ``out``."""
    html = build_report(spark, path, **kwargs)
    out = os.path.abspath(out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    tmp = f"{out}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(html)
    os.replace(tmp, out)
    return out


__all__ = ["build_report", "write_report"]


def report_command(path: str, out: str | None = None, *, text_column: str = "text",
                   id_column: str = "id") -> str:
    """``thresher report PATH [--out FILE]``: the report of a finished run, by default
    beside its kept output (``<output>_report.html``); returns the file written."""
    from ..session import get_or_create_session
    from .at_run_end import SUFFIX
    from .sources import SUFFIXES

    from thresher.dedup.containment.report import is_containment_output, rebuild_report

    if os.path.isdir(path) and is_containment_output(path):  # thresher containment's --out
        if out is not None:
            raise UserError("a containment report is written back into its output folder "
                            "(report.html beside edges.parquet): drop --out")
        return rebuild_report(path)
    base = path.rstrip("/")
    for suffix in SUFFIXES:
        base = base[: -len(suffix)] if base.endswith(suffix) else base
    spark = get_or_create_session(master="local[*]", app_name="thresher:report")
    return write_report(spark, path, out=out or base + SUFFIX, text_column=text_column,
                        id_column=id_column)
