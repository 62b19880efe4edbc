"""Stage 3: content. A sampled hash test where it pays, then exact verification, each
reading every table once for all of its pairs.

* Readable: pairs with a table Spark cannot read, or whose columns Spark reads as other
  kinds than metadata said, are decided first (``read_error``, ``spark_type_mismatch``).
* Sample test (sample_test.py): about ``sample_rows`` rows of the child, picked by a
  salted hash, looked up among the parent's rows in the same hash range; one miss
  disproves containment. It reads the pair's tables and shuffles a few hashes; exact
  verification reads them too and shuffles every row's value. So it runs first only where
  that shuffle is worth a second read: pairs whose child and parent hold at least
  ``sample_above_bytes`` of data together (default 256 MiB). Smaller pairs go straight to
  verification, which costs them no more than the test would. With ``verify="sample"``
  every pair takes the test and its survivors are reported as ``probable``.
* Exact verification (exact_check.py, ``verify="exact"``): every child row must occur in
  the parent (as often, with ``multiset``), compared on full canonical values, never on
  hashes, so a hash collision can never make a verdict wrong.

Both passes scan each table once per Spark job (shared_scan.py: at most ``batch_size``
tables a job). Example::

    out = run_content(spark, tables, [("/lake/a", "/lake/b")], config=ContainmentConfig())
    out.edges[0].verdict     # 'contained'
"""
from __future__ import annotations

import datetime as _dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .config import ContainmentConfig
from .edges import Edge
from .exact_check import exact_misses
from .frames import Frames, first_line
from .prune import show_value
from .sample_test import sample_test
from .shared_scan import Pair, batches, run_isolated
from .spark_jobs import JobGroup
from .tables import TableInfo

_EPOCH = _dt.datetime(1970, 1, 1)
_EVIDENCE_CHARS = 500  # a longer string value is cut in the evidence (edges.parquet)


@dataclass
class ContentOutcome:
    edges: list[Edge] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # tables Spark could not read
    sampled_pairs: int = 0   # pairs that took the sample test
    direct_pairs: int = 0    # pairs sent straight to exact verification (small tables)
    after_sample: int = 0    # pairs left for verification (or probable)
    sample_seconds: float = 0.0
    verify_seconds: float = 0.0
    sample_bytes: int | None = 0
    verify_bytes: int | None = 0


def evidence_row(row_json: str, keys: list[str], families: dict[str, str]) -> dict:
    """A row key (canonical.row_key) as {key: value}: dates and timestamps readable (with
    their nanoseconds when they have some), a string that is not UTF-8 as ``base64:...``,
    long strings cut."""
    values = json.loads(row_json)
    raw = {item["i"]: item["b"] for item in values.get("x") or []}
    rests = {item["i"]: item["r"] for item in values.get("n") or []}
    row = {}
    for i, k in enumerate(keys):
        v = values.get(f"c{i}")
        if i in raw:
            v = "base64:" + raw[i]
        elif i in rests and isinstance(v, int):
            v = (_EPOCH + _dt.timedelta(microseconds=v)).strftime("%Y-%m-%dT%H:%M:%S.%f") + f"{rests[i]:03d}Z"
        elif families.get(k) in ("date", "timestamp") and isinstance(v, int):
            v = show_value(families[k], v)
        if isinstance(v, str) and len(v) > _EVIDENCE_CHARS:
            v = v[:_EVIDENCE_CHARS] + "..."
        row[k] = v
    return row


def _type_check(frames: Frames, child: str, parent: str, keys: list[str]) -> dict | None:
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
        self.spark, self.tables, self.config = spark, tables, config
        self.frames = Frames(spark, tables)
        self.keys = {name: tables[name].keys for pair in pairs for name in pair}
        self.out = ContentOutcome()
        self.bad: dict[str, str] = {}

    def decide(self, child: str, parent: str, at: str, evidence: dict, verdict="not_contained"):
        self.out.edges.append(Edge.decided(child, parent, self.keys[child], at, evidence,
                                           verdict=verdict))

    def error(self, child: str, parent: str, table: str, reason: str, at: str = "content") -> None:
        self.bad.setdefault(table, reason)
        self.decide(child, parent, at, {"rule": "read_error", "table": table, "detail": reason},
                    verdict="error")

    def readable(self, pairs) -> list[Pair]:
        """Pairs whose tables Spark reads with the same column families; others decided."""
        live = []
        self.frames.open(t for pair in pairs for t in pair)
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

    def takes_sample(self, pair: Pair) -> bool:
        if self.config.verify == "sample":
            return True
        return sum(self.tables[t].data_bytes for t in pair) >= self.config.sample_above_bytes

    def _families(self, pairs) -> dict[str, dict[str, str]]:
        """Each child's Spark family per key (checked equal to its parents' by ``readable``)."""
        return {c: {k: self.frames.get(c)[2][k] for k in self.keys[c]} for c, _ in pairs}

    def _probe(self, table: str) -> str | None:
        """Why Spark cannot read ``table`` to the end (None: it can)."""
        try:
            self.frames.get(table)[0].write.format("noop").mode("overwrite").save()
        except Exception as exc:  # noqa: BLE001 - the reason is reported
            return first_line(exc)
        return None

    def _pass(self, pairs: list[Pair], job: Callable[[list[Pair]], dict],
              group: JobGroup) -> tuple[dict, dict[str, str]]:
        """``job`` over ``pairs`` in batches, each table read once a batch; bad tables apart."""
        results, bad = {}, {}

        def counted(batch):
            try:
                return job(batch)
            finally:
                group.tally()

        for batch in batches(pairs, self.config.batch_size):
            found, failed = run_isolated(batch, counted, self._probe)
            results.update(found)
            bad.update(failed)
        return results, bad

    def sample(self, pairs: list[Pair], group: JobGroup) -> list[tuple[Pair, int]]:
        """Survivors of the sample test, with how many rows each child's sample held."""
        cfg = self.config
        rows = {t: self.tables[t].stats.distinct_rows or self.tables[t].stats.rows
                for pair in pairs for t in pair}
        found, bad = self._pass(pairs, lambda batch: sample_test(
            self.frames, batch, sample_rows=cfg.sample_rows, seed=cfg.seed,
            families=self._families(batch), rows=rows), group)
        survivors = []
        for child, parent in pairs:
            failed = next((t for t in (child, parent) if t in bad), None)
            sampled, missing, row = found.get((child, parent), (0, 0, None))
            if failed:
                self.error(child, parent, failed, bad[failed])
            elif missing:
                self.decide(child, parent, "content", {
                    "rule": "sample_miss", "sampled": sampled, "missing": missing,
                    "row": evidence_row(row, self.keys[child], self.tables[child].families)})
            else:
                survivors.append(((child, parent), sampled))
        return survivors

    def verify(self, pairs: list[Pair], group: JobGroup) -> None:
        cfg = self.config
        misses, bad = self._pass(pairs, lambda batch: exact_misses(
            self.frames, batch, multiset=cfg.multiset, families=self._families(batch)), group)
        for child, parent in pairs:
            failed = next((t for t in (child, parent) if t in bad), None)
            if failed:
                self.error(child, parent, failed, bad[failed], at="verified")
            elif (child, parent) not in misses:
                self.decide(child, parent, "verified", {
                    "rule": "exact", "semantics": "multiset" if cfg.multiset else "set"},
                    verdict="contained")
            else:
                missing, row = misses[(child, parent)]
                self.decide(child, parent, "verified", {
                    "rule": "multiset_excess" if cfg.multiset else "exact_miss", "missing": missing,
                    "row": evidence_row(row, self.keys[child], self.tables[child].families)})


def run_content(spark, tables: dict[str, TableInfo], pairs: list[Pair], *,
                config: ContainmentConfig) -> ContentOutcome:
    """Decide every pair in ``pairs`` by content (see the module docstring)."""
    stage = _Stage(spark, tables, pairs, config)
    out = stage.out
    t0 = time.perf_counter()
    live = stage.readable(pairs)
    sampled = [p for p in live if stage.takes_sample(p)]
    direct = [p for p in live if not stage.takes_sample(p)]
    with JobGroup(spark, "thresher-containment-sample") as group:
        survivors = stage.sample(sampled, group) if sampled else []
    out.sampled_pairs, out.direct_pairs = len(sampled), len(direct)
    out.sample_bytes, out.after_sample = group.input_bytes, len(direct) + len(survivors)
    out.sample_seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    if config.verify == "sample":
        for (child, parent), n in survivors:
            stage.decide(child, parent, "content", {"rule": "sample_hit", "sampled": n}, verdict="probable")
        out.verify_bytes = 0
    else:
        to_verify = sorted(direct + [pair for pair, _ in survivors])
        with JobGroup(spark, "thresher-containment-verify") as group:
            if to_verify:
                stage.verify(to_verify, group)
        out.verify_bytes = group.input_bytes
    out.verify_seconds = time.perf_counter() - t1
    out.skipped = [{"table": t, "reason": f"content stage: {r}"} for t, r in sorted(stage.bad.items())]
    return out
