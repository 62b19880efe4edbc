"""Stage 3: content. Sample the child's rows, look them up among the parent's row
hashes with a broadcast semi-join, then verify the survivors exactly.

* Sample: the ``sample_rows`` distinct rows of A with the smallest salted row hash
  (canonical.py): deterministic, independent of partitioning, and spread over the
  table. One Spark job samples ``batch_size`` children.
* Probe: for each (parent, column set), B's row hashes on those columns are
  semi-joined with the broadcast sample hashes of every child that needs them.
  A sample row whose hash B lacks is not in B (equal rows hash equal), so one
  miss disproves containment; the row is the evidence.
* Verify (``verify="exact"``): A's canonical rows EXCEPT B's (EXCEPT ALL with
  ``multiset``) must be empty. This compares full canonical values with null-safe
  equality, not hashes, so a hash collision can never make a verdict wrong.
  With ``verify="sample"`` the survivors are reported as ``probable``.

Example::

    out = run_content(spark, tables, [("/lake/a", "/lake/b")], config=ContainmentConfig())
    out.edges[0].verdict     # 'contained'
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from functools import reduce

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from operators.io import read_input

from .canonical import canonical_columns, col_ref, row_hash
from .catalog import read_catalog
from .config import ContainmentConfig
from .csv_meta import read_csv
from .edges import Edge
from .spark_jobs import JobGroup
from .tables import TableInfo
from .types import spark_family

_ROW_EVIDENCE_CHARS = 2000


@dataclass
class ContentOutcome:
    edges: list[Edge] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # tables Spark could not read
    after_sample: int = 0
    sample_seconds: float = 0.0
    verify_seconds: float = 0.0
    sample_bytes: int | None = 0
    verify_bytes: int | None = 0


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


class _Frames:
    """Each table's DataFrame (read once), its key -> stored-name map and Spark families."""

    def __init__(self, spark, tables: dict[str, TableInfo]):
        self.spark, self.tables = spark, tables
        self._cache: dict[str, tuple] = {}

    def get(self, name: str) -> tuple[DataFrame, dict[str, str], dict[str, str]]:
        if name not in self._cache:
            info = self.tables[name]
            try:
                if info.format == "csv" and info.spark_schema:
                    df = read_csv(self.spark, info)
                elif info.format == "catalog":
                    df = read_catalog(self.spark, info)
                else:
                    df = read_input(self.spark, format=info.format, path=info.path,
                                    options=info.options or None)
                fields = df.schema.fields
                self._cache[name] = (df, {f.name.lower(): f.name for f in fields},
                                     {f.name.lower(): spark_family(f.dataType) for f in fields})
            except Exception as exc:  # noqa: BLE001 - remembered: every edge of it is an error
                self._cache[name] = (exc,)
        entry = self._cache[name]
        if len(entry) == 1:
            raise entry[0]
        return entry

    def error(self, name: str) -> str | None:
        """Why Spark cannot read table ``name``, or None when it can."""
        try:
            self.get(name)
        except Exception as exc:  # noqa: BLE001
            return _first_line(exc)
        return None

    def canonical(self, name: str, keys: list[str]) -> DataFrame:
        df, names, _ = self.get(name)
        return df.select(*canonical_columns(df, {k: names[k] for k in keys}))


def _sample_frame(frames: _Frames, child: str, keys: list[str], cfg: ContainmentConfig) -> DataFrame:
    df, names, _ = frames.get(child)
    row = F.substring(F.to_json(F.struct(*[col_ref(names[k]) for k in keys])), 1, _ROW_EVIDENCE_CHARS)
    canon = df.select(*canonical_columns(df, {k: names[k] for k in keys}), row.alias("__row"))
    hashed = canon.select(row_hash(len(keys), salt=cfg.seed).alias("h"), "__row")
    return hashed.groupBy("h").agg(F.min("__row").alias("row")).orderBy("h").limit(cfg.sample_rows)


def _collect_batched(items: list, frame_of, size: int, after=None) -> tuple[dict, dict]:
    """Collect ``frame_of(item)`` for every item, ``size`` items a Spark job (a union
    tagged by position); a failed job is retried item by item to find the bad one.
    ``after()`` runs after each job (the job group's byte count)."""
    results, errors = {}, {}

    def run(batch):
        frames = [frame_of(it).select(F.lit(i).alias("__t"), "*") for i, it in enumerate(batch)]
        try:
            rows = reduce(DataFrame.union, frames).collect()
        finally:
            if after is not None:
                after()
        out = {it: [] for it in batch}
        for r in rows:
            out[batch[r["__t"]]].append(r)
        return out

    for start in range(0, len(items), size):
        batch = items[start:start + size]
        try:
            results.update(run(batch))
        except Exception:  # noqa: BLE001 - isolate the failing item below
            for it in batch:
                try:
                    results.update(run([it]))
                except Exception as exc:  # noqa: BLE001
                    errors[it] = _first_line(exc)
    return results, errors


def _type_check(frames: _Frames, child: str, parent: str, keys: list[str]) -> dict | None:
    fa, fb = frames.get(child)[2], frames.get(parent)[2]
    for k in keys:
        if k not in fa or k not in fb:
            return {"rule": "spark_schema", "column": k,
                    "detail": "column missing when Spark reads the " + ("child" if k not in fa else "parent")}
        if fa[k] != fb[k]:
            return {"rule": "spark_type_mismatch", "column": k, "child": fa[k], "parent": fb[k]}
    return None


class _Stage:
    """The state of one content stage: frames, keys, outcome, tables Spark could not read."""

    def __init__(self, spark, tables: dict[str, TableInfo], pairs, config: ContainmentConfig):
        self.spark, self.config = spark, config
        self.frames = _Frames(spark, tables)
        self.keys = {name: tables[name].keys for pair in pairs for name in pair}
        self.out = ContentOutcome()
        self.bad: dict[str, str] = {}
        self.group: JobGroup | None = None  # the job group of the running step

    def decide(self, child: str, parent: str, at: str, evidence: dict, verdict="not_contained"):
        self.out.edges.append(Edge.decided(child, parent, self.keys[child], at, evidence,
                                           verdict=verdict))

    def error(self, child: str, parent: str, table: str, reason: str) -> None:
        self.bad.setdefault(table, reason)
        self.decide(child, parent, "content", {"rule": "read_error", "table": table, "detail": reason},
                    verdict="error")

    def readable(self, pairs) -> list[tuple[str, str]]:
        """Pairs whose tables Spark reads with the same column families; others decided."""
        live = []
        for child, parent in pairs:
            unreadable = next(((t, r) for t in (child, parent) if (r := self.frames.error(t))), None)
            if unreadable:
                self.error(child, parent, *unreadable)
                continue
            mismatch = _type_check(self.frames, child, parent, self.keys[child])
            if mismatch:
                self.decide(child, parent, "content", mismatch)
            else:
                live.append((child, parent))
        return live

    def sample_test(self, live) -> tuple[list[tuple[str, str]], dict]:
        """Survivors of the sampled semi-join, and each child's sample."""
        cfg, frames = self.config, self.frames
        samples, failed = _collect_batched(
            sorted({c for c, _ in live}), lambda c: _sample_frame(frames, c, self.keys[c], cfg),
            cfg.batch_size, self.group.tally)
        groups: dict[tuple, list[str]] = {}
        for child, parent in live:
            if child not in failed:
                groups.setdefault((parent, tuple(self.keys[child])), []).append(child)

        def probe(g):  # the parent's row hashes that some child's sample asks about
            parent, keys = g
            hashes = sorted({r["h"] for c in groups[g] for r in samples[c]})
            wanted = self.spark.createDataFrame([(h,) for h in hashes] or [(0,)], "h long")
            canon = frames.canonical(parent, list(keys))
            return canon.select(row_hash(len(keys), salt=cfg.seed).alias("h")) \
                .join(F.broadcast(wanted), "h", "left_semi").distinct()

        found, probe_failed = _collect_batched(sorted(groups), probe, cfg.batch_size, self.group.tally)
        survivors = []
        for child, parent in live:
            g = (parent, tuple(self.keys[child]))
            if child in failed:
                self.error(child, parent, child, failed[child])
            elif g in probe_failed:
                self.error(child, parent, parent, probe_failed[g])
            else:
                present = {r["h"] for r in found[g]}
                misses = [r for r in samples[child] if r["h"] not in present]
                if misses:
                    self.decide(child, parent, "content", {
                        "rule": "sample_miss", "row": misses[0]["row"],
                        "sampled": len(samples[child]), "missing": len(misses)})
                else:
                    survivors.append((child, parent))
        return survivors, samples

    def verify(self, survivors) -> None:
        cfg = self.config
        diffs, failed = _collect_batched(
            survivors, lambda pair: _difference(self.frames, *pair, self.keys[pair[0]], cfg),
            cfg.batch_size, self.group.tally)
        for child, parent in survivors:
            if (child, parent) in failed:  # a table Spark cannot read to the end
                self.decide(child, parent, "verified", {
                    "rule": "read_error", "detail": failed[(child, parent)]}, verdict="error")
            elif not diffs[(child, parent)]:
                self.decide(child, parent, "verified", {
                    "rule": "exact", "semantics": "multiset" if cfg.multiset else "set"},
                    verdict="contained")
            else:
                values = json.loads(diffs[(child, parent)][0]["row"])
                row = {k: values.get(f"c{i}") for i, k in enumerate(self.keys[child])}
                self.decide(child, parent, "verified", {
                    "rule": "multiset_excess" if cfg.multiset else "exact_miss", "row": row})


def run_content(spark, tables: dict[str, TableInfo], pairs: list[tuple[str, str]], *,
                config: ContainmentConfig) -> ContentOutcome:
    """Decide every pair in ``pairs`` by content (see the module docstring)."""
    stage = _Stage(spark, tables, pairs, config)
    out = stage.out
    t0 = time.perf_counter()
    with JobGroup(spark, "thresher-containment-sample") as stage.group:
        survivors, samples = stage.sample_test(stage.readable(pairs))
    out.sample_bytes, out.after_sample = stage.group.input_bytes, len(survivors)
    out.sample_seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    if config.verify == "sample":
        for child, parent in survivors:
            stage.decide(child, parent, "content", {"rule": "sample_hit", "sampled": len(samples[child])},
                         verdict="probable")
        out.verify_bytes = 0
    else:
        with JobGroup(spark, "thresher-containment-verify") as stage.group:
            stage.verify(survivors)
        out.verify_bytes = stage.group.input_bytes
    out.verify_seconds = time.perf_counter() - t1
    out.skipped = [{"table": t, "reason": f"content stage: {r}"} for t, r in sorted(stage.bad.items())]
    return out


def _difference(frames: _Frames, child: str, parent: str, keys: list[str],
                cfg: ContainmentConfig) -> DataFrame:
    """At most one canonical row of the child that the parent lacks (as JSON): none means
    contained. EXCEPT compares full values with null-safe equality, never hashes."""
    a, b = frames.canonical(child, keys), frames.canonical(parent, keys)
    diff = a.exceptAll(b) if cfg.multiset else a.subtract(b)
    return diff.limit(1).select(F.to_json(F.struct(*diff.columns)).alias("row"))
