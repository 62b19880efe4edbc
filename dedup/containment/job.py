"""The containment job: sources -> schema graph -> statistics -> content -> outputs.

This is the Python API for notebooks; ``thresher containment`` and
``spark-submit jobs/containment.py`` call it. Spark starts only when a CSV table
or the content stage needs it (a running session, e.g. a notebook's, is reused).
Example::

    from thresher.dedup.containment import find_containment
    result = find_containment(["/lake"], out="/tmp/contain", sample_rows=64, verify="exact")
    result.contained            # [('/lake/orders_2024', '/lake/orders'), ...]
    result.edges_df(spark).show()
"""
from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import ValidationError

from thresher.operators.connect import begin_run, note, take_notes
from thresher.operators.errors import ContainmentInputError

from .config import ContainmentConfig
from .content import ContentOutcome, run_content
from .deletion import build_plan, read_access_log
from .edges import Edge
from .lake import inspect_tables
from .plan import PlanConfig
from .prune import prune_edge
from .report import check_output, default_cache_dir, write_outputs
from .schema_graph import schema_candidates
from .sources import discover

_REMOTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")  # hdfs:, s3a:, abfss:, dbfs: (not C:\\)


@dataclass
class ContainmentResult:
    """What a run found; the same content as the files in ``out``."""

    out: str
    edges: list[Edge]
    stages: dict
    skipped: dict
    paths: dict[str, str] = field(default_factory=dict)
    plan: dict | None = None  # plan.json, when a deletion plan was asked for
    notes: list[str] = field(default_factory=list)  # what ran differently (Spark Connect)

    @property
    def contained(self) -> list[tuple[str, str]]:
        """(child, parent) pairs verified (or, with verify="sample", found probable)."""
        return sorted((e.child, e.parent) for e in self.edges if e.verdict in ("contained", "probable"))

    def edges_df(self, spark):
        """edges.parquet as a Spark DataFrame."""
        return spark.read.parquet("file://" + self.paths["edges.parquet"])

    def summary(self) -> str:
        t = self.stages["tables"]
        lines = [f"tables: {t['analysed']} analysed, {t['skipped']} skipped, {t['empty']} empty, "
                 f"{t['case_conflicts']} with case-conflicting columns",
                 f"{'stage':<9}{'pairs in':>10}{'pairs out':>11}{'seconds':>9}{'bytes read':>13}"]
        for s in self.stages["stages"]:
            b = "?" if s["bytes_read"] is None else s["bytes_read"]
            lines.append(f"{s['stage']:<9}{s.get('pairs_before', ''):>10}{s.get('pairs_after', ''):>11}"
                         f"{s['seconds']:>9.2f}{b:>13}")
        v = Counter(e.verdict for e in self.edges)
        lines.append(f"verdicts: {v['contained']} contained, {v['probable']} probable, "
                     f"{v['not_contained']} not contained, {v['error']} errors")
        if self.plan is not None:
            c = self.plan["cost_per_month"]
            lines.append(f"plan ({self.plan['solver']}): delete {len(self.plan['deleted'])} tables, "
                         f"{self.plan['bytes_saved']} bytes; cost a month {c['before']:.3g} -> "
                         f"{c['after']:.3g} (advice only: nothing was deleted)")
        lines.append(f"outputs in {self.out}: " + ", ".join(sorted(set(self.paths) - {"report.html"})))
        lines += ["notes:"] + [f"  - {n}" for n in self.notes] if self.notes else []
        if "report.html" in self.paths:  # last, as a recipe run names its report
            lines.append(f"report: {self.paths['report.html']}")
        return "\n".join(lines)


def _config(config: ContainmentConfig | None, options: dict) -> ContainmentConfig:
    if config is not None and options:
        raise ContainmentInputError(f"give a config or keyword options, not both (got {sorted(options)})")
    try:
        return config or ContainmentConfig(**options)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ContainmentInputError(f"containment options: {problems}") from exc


def _lazy_session(spark) -> Callable:
    held = [spark]

    def get():
        if held[0] is None:
            from thresher.operators.session import get_or_create_session
            held[0] = get_or_create_session(app_name="thresher-containment")
        return held[0]
    get.held = held
    return get


def _held(session: Callable) -> bool:
    """Whether the lazy session was started (so it may hold notes), without starting it."""
    return session.held[0] is not None


def metadata_stages(lake, cfg: ContainmentConfig) -> tuple[list[Edge], list, dict]:
    """Stages 1 and 2: the edges they decide, the pairs left for the content stage, timing."""
    t = time.perf_counter()
    graph = schema_candidates({name: info.columns for name, info in lake.tables.items()})
    edges = [Edge.decided(c, p, lake.tables[c].keys, "schema", ev) for c, p, ev in graph.mismatched]
    timing = {"schema": time.perf_counter() - t, "candidates": len(graph.candidates),
              "name_matches": len(graph.candidates) + len(graph.mismatched)}
    t = time.perf_counter()
    survivors = []
    for child, parent in graph.candidates:
        ev = prune_edge(lake.tables[child], lake.tables[parent], multiset=cfg.multiset)
        if ev is None:
            survivors.append((child, parent))
        else:
            edges.append(Edge.decided(child, parent, lake.tables[child].keys, "stats", ev))
    timing["stats"] = time.perf_counter() - t
    return edges, survivors, timing


def _stages_doc(found, lake, cfg: ContainmentConfig, edges: list[Edge], timing: dict,
                content: ContentOutcome) -> dict:
    """stages.json: pairs before and after each stage, seconds, bytes read."""
    n, verdicts = len(lake.tables), Counter(e.verdict for e in edges)
    survivors = timing["candidates"] - sum(1 for e in edges if e.decided_at == "stats")
    exact = cfg.verify == "exact"
    return {
        "tables": {"found": len(found.tables), "analysed": n,
                   "skipped": len(found.skipped) + len(lake.skipped) + len(content.skipped),
                   "empty": len(lake.empty), "case_conflicts": len(lake.case_conflicts)},
        "config": cfg.model_dump(),
        "stages": [
            {"stage": "inspect", "seconds": lake.seconds, "bytes_read": lake.meta_bytes},
            {"stage": "schema", "pairs_before": n * (n - 1), "pairs_after": timing["candidates"],
             "name_matches": timing["name_matches"], "seconds": timing["schema"], "bytes_read": 0},
            {"stage": "stats", "pairs_before": timing["candidates"], "pairs_after": survivors,
             "pruned_by_rule": dict(Counter(e.rule for e in edges if e.decided_at == "stats")),
             "seconds": timing["stats"], "bytes_read": 0},
            {"stage": "content", "pairs_before": survivors, "pairs_after": content.after_sample,
             "sampled_pairs": content.sampled_pairs, "direct_pairs": content.direct_pairs,
             "seconds": content.sample_seconds, "bytes_read": content.sample_bytes},
            {"stage": "verified", "pairs_before": content.after_sample if exact else 0,
             "pairs_after": verdicts["contained"], "seconds": content.verify_seconds,
             "bytes_read": content.verify_bytes if exact else 0},
        ],
        "verdicts": {v: verdicts[v] for v in ("contained", "probable", "not_contained", "error")},
        "data_bytes": sum(info.data_bytes for info in lake.tables.values()),
    }


def _plan_config(plan, access_log: str | None, cfg: ContainmentConfig):
    if plan is None or plan is False:
        if access_log:
            raise ContainmentInputError("an access log is only used with a deletion plan (--plan)")
        return None, None
    if cfg.verify != "exact":
        raise ContainmentInputError("a deletion plan needs verified containments: use verify='exact'")
    try:
        plan_cfg = plan if isinstance(plan, PlanConfig) else PlanConfig(**({} if plan is True else plan))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ContainmentInputError(f"plan options: {problems}") from exc
    return plan_cfg, (read_access_log(access_log) if access_log else None)


def find_containment(sources: list[str], *, out: str, spark=None,
                     config: ContainmentConfig | None = None, plan: PlanConfig | dict | bool | None = None,
                     access_log: str | None = None, **options) -> ContainmentResult:
    """Find which tables under ``sources`` are contained in which; write the results to ``out``.

    ``options`` are ContainmentConfig fields (sample_rows, verify, multiset, seed, ...).
    ``plan`` (True, a PlanConfig or its fields) adds plan.json, the deletion plan, with
    reads a month from ``access_log`` (see deletion.py). Bad sources or options raise
    ContainmentInputError before Spark starts.
    """
    cfg = _config(config, options)
    plan_cfg, reads = _plan_config(plan, access_log, cfg)
    fs, out_path = check_output(out)
    begin_run(spark)  # notes of an earlier run forgotten; Connect columns on a Connect session
    session = _lazy_session(spark)
    remote = any(_REMOTE.match(s) and not s.lower().startswith("file:") for s in sources)
    found = discover(list(sources), spark=session() if remote else spark, exclude=(out_path,))
    if not found.tables and not found.skipped:
        raise ContainmentInputError(f"no tables found under {', '.join(sources)} (Parquet files or "
                                    "datasets, Delta tables, CSV files)")
    lake = inspect_tables(found.tables, spark=session, config=cfg,
                          cache_dir=cfg.stats_cache or default_cache_dir(out_path))
    edges, survivors, timing = metadata_stages(lake, cfg)
    content = run_content(session(), lake.tables, survivors, config=cfg) if survivors else ContentOutcome()
    edges += content.edges
    stages = _stages_doc(found, lake, cfg, edges, timing, content)
    skipped = {"skipped": sorted(found.skipped + lake.skipped + content.skipped, key=lambda s: s["table"]),
               "empty": lake.empty, "case_conflicts": lake.case_conflicts}
    plan_doc, key_frames = None, None
    if plan_cfg is not None:
        seconds = content.sample_seconds + content.verify_seconds
        scanned = (content.sample_bytes or 0) + (content.verify_bytes or 0)
        if contained_scan_unmeasured(content, plan_cfg):
            note(session(), "containment --plan: the scan rate cannot be measured on Spark Connect; "
                            "the plan uses the default rate (give --scan-rate for your cluster's)")
        contained = sorted((e.child, e.parent) for e in edges if e.verdict == "contained")
        plan_doc, key_frames = build_plan(
            session() if contained else None, lake.tables, contained, reads=reads, plan=plan_cfg,
            multiset=cfg.multiset, measured_rate=scanned / seconds if scanned and seconds else None)
    # What ran differently so far (Spark Connect): in stages.json and on the page too.
    notes = take_notes(session()) if _held(session) else []
    stages["notes"] = notes
    paths = write_outputs(fs, out_path, edges=edges, stages=stages, skipped=skipped, plan=plan_doc,
                          key_frames=key_frames, tables=lake.tables)
    notes += [n for n in (take_notes(session()) if _held(session) else []) if n not in notes]
    return ContainmentResult(out=out_path, edges=sorted(edges, key=lambda e: (e.child, e.parent)),
                             stages=stages, skipped=skipped, paths=paths, plan=plan_doc, notes=notes)


def contained_scan_unmeasured(content: ContentOutcome, plan_cfg: PlanConfig) -> bool:
    """A plan that would use the measured scan rate, after a content stage that read data
    but could not measure it (Spark Connect: bytes read None)."""
    ran = content.sample_seconds + content.verify_seconds > 0
    unmeasured = content.sample_bytes is None or content.verify_bytes is None
    return not plan_cfg.scan_bytes_per_second and ran and unmeasured
