"""The sampled content test: about ``sample_rows`` rows of each child looked up in its
parents, with one scan per table for all of its pairs.

The sample is coordinated: a child's sample is its rows whose salted row hash
(canonical.py) falls in the lowest ``sample_rows / rows`` of the hash range (its cut),
so about ``sample_rows`` rows (fewer when rows repeat), deterministic for a seed,
independent of partitioning and spread over the table. A parent read on a child's
projection keeps its rows below the same cut (the highest cut among its children on
that projection): if a sampled child row is in the parent, the parent's copy hashes the
same and is kept too. So both sides of the test are small, come from one scan per table
(shared_scan.py), and meet in a group-by on (projection, hash); no sample has to be
collected and broadcast before the parents are read. A sampled row whose hash the
parent lacks is not in the parent: equal rows hash equal, so a miss disproves
containment and the row (its canonical values) is the evidence. A hit proves nothing
(64-bit hashes collide in principle): survivors go on to exact verification, or are
reported as probable with ``verify="sample"``. Example::

    found = sample_test(frames, pairs, sample_rows=64, seed=0, families=fams, rows=rows)
    found[("/lake/a", "/lake/b")]     # (rows sampled, of them missing, a missing row's JSON)
"""
from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .canonical import ExpressionCache
from .frames import Frames
from .shared_scan import Pair, PassPlan, shuffled_union

_MIN, _MAX = -2**63, 2**63 - 1


def sample_cut(rows: int | None, sample_rows: int) -> int:
    """The largest salted hash in a sample of about ``sample_rows`` of ``rows`` rows (all
    rows when the count is unknown or small)."""
    if not rows or sample_rows >= rows:
        return _MAX
    return _MIN - (-sample_rows * 2**64 // rows) - 1  # the lowest ceil(k / rows) of 2**64


def _scan_cuts(plan: PassPlan, cuts: dict[str, int]) -> dict[tuple[str, int], int]:
    """The cut each table is read with on each projection: the highest of its own (on its
    own projection) and its children's on theirs."""
    out: dict[tuple[str, int], int] = {}
    for child, pid in plan.own.items():
        for t in [child, *plan.parents[child]]:
            out[(t, pid)] = max(out.get((t, pid), _MIN), cuts[child])
    return out


def _emit(frames: Frames, plan: PassPlan, table: str, tid: int, cuts: dict[str, int],
          scan_cuts: dict[tuple[str, int], int], seed: int, exprs: ExpressionCache) -> DataFrame:
    """(t, p, h, v): ``table``'s row hashes below each projection's cut; v (the row key)
    only on the rows of its own sample."""
    df, names, _ = frames.get(table)
    own = plan.own.get(table)
    entries = []
    for pid in plan.needs[table]:
        cols = {k: names[k] for k in plan.projections[pid]}
        cut = scan_cuts[(table, pid)]
        h = exprs.projection_hash(df, cols, salt=seed)
        v = F.when(h <= F.lit(cuts[table]), exprs.row_key(df, cols)) if pid == own else F.lit(None).cast("string")
        entries.append(F.struct(F.lit(pid).alias("p"), h.alias("h"), F.lit(cut).alias("cut"), v.alias("v")))
    kept = F.filter(F.array(*entries), lambda e: e["h"] <= e["cut"])
    return df.select(F.lit(tid).alias("t"), F.explode(kept).alias("e")).select("t", "e.p", "e.h", "e.v")


def sample_test(frames: Frames, pairs: list[Pair], *, sample_rows: int, seed: int,
                families: dict[str, dict[str, str]], rows: dict[str, int | None]
                ) -> dict[Pair, tuple[int, int, str | None]]:
    """For each pair whose child's sample is not empty: (rows sampled, of them missing from
    the parent, the smallest missing row's row-key JSON or None). One Spark job."""
    plan = PassPlan.build(pairs, families)
    cuts = {t: sample_cut(rows.get(t), sample_rows) for t in plan.names}
    scan_cuts = _scan_cuts(plan, cuts)
    exprs = ExpressionCache()
    scans = shuffled_union([_emit(frames, plan, t, i, cuts, scan_cuts, seed, exprs)
                            for i, t in enumerate(plan.names)], ["p", "h"])
    groups = scans.groupBy("p", "h").agg(F.collect_set("t").alias("m"), F.max("v").alias("v"))
    index = plan.pair_index({c: {"cut": cuts[c]} for c in plan.own}, "cut: bigint")

    def sampled_by(c):  # the row is in child c's own sample
        info = F.element_at(index, c + 1)
        return info.isNotNull() & (info["p"] == F.col("p")) & (F.col("h") <= info["cut"])

    hits = groups.select("m", "v", F.explode(F.filter("m", sampled_by)).alias("c"))
    checks = hits.select("c", "v", F.explode(F.transform(
        F.element_at(index, F.col("c") + 1)["ps"],
        lambda p: F.struct(p.alias("P"), (~F.array_contains(F.col("m"), p)).alias("miss")))).alias("x"))
    found = checks.groupBy("c", "x.P").agg(
        F.count(F.lit(1)).alias("sampled"), F.sum(F.col("x.miss").cast("int")).alias("missing"),
        F.min(F.when(F.col("x.miss"), F.col("v"))).alias("row")).collect()
    return {(plan.names[r["c"]], plan.names[r["P"]]): (r["sampled"], r["missing"], r["row"]) for r in found}
