"""What each panel shows, computed from the run's tables by Spark aggregations; the
results are small Python values (per step, per reason, per bucket), never all rows."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.window import Window

from ..errors import ReportError
from ..measures import METRICS_COLUMNS
from .inputs import input_histograms
from .spark_hist import histograms

# The detail filters write: ``label=value < min=bound`` or ``... > max=bound``
# (operators/text/_expr.py, length.py); value and bound are parsed back from it.
MEASURE = r"=(-?[0-9][0-9.eE+-]*) *(<=|>=|<|>) *(?:min|max)=(-?[0-9][0-9.eE+-]*)"
NEAR = r"near duplicate of (?:indexed )?(\S+) \(cluster of ([0-9]+)\)"
EXACT = r"^duplicate of (\S+)$"
REJECT_COLS = ("drop_reason", "drop_step", "drop_detail")
SAMPLES_PER_REASON = 3
SAMPLE_CHARS = 600


@dataclass
class Panels:
    run: dict
    steps: list[dict]
    chars: dict = field(default_factory=dict)      # (step, reason) -> chars; "kept" -> chars
    tokens: dict = field(default_factory=dict)
    inputs: list[dict] = field(default_factory=list)   # per (step, metric): the step's input
    metrics: list[dict] = field(default_factory=list)  # per (step, reason): dropped rows only
    sampled: bool = False                              # the run wrote a metrics sample
    scores: list[dict] = field(default_factory=list)
    clusters: dict | None = None
    copies: dict | None = None
    samples: dict = field(default_factory=dict)    # reason -> [{id, detail, text}]
    notes: list[str] = field(default_factory=list)


def latest_run(stats: DataFrame) -> tuple[dict, list[dict]]:
    missing = {"run_id", "step", "op", "rows_in", "dropped_by_reason"} - set(stats.columns)
    if missing:
        raise ReportError(f"not a thresher stats table (no {', '.join(sorted(missing))})")
    head = stats.orderBy(F.desc("started_at"), F.desc("run_id")).select(
        "run_id", "recipe", "recipe_hash", "started_at").first()
    if head is None:
        raise ReportError("the stats table is empty")
    rows = stats.where(F.col("run_id") == head["run_id"]).orderBy("step").collect()
    return head.asDict(), [r.asDict() for r in rows]


def text_column(df: DataFrame, preferred: str) -> str | None:
    if preferred in df.columns:
        return preferred
    strings = [c for c, t in df.dtypes if t == "string" and c not in REJECT_COLS and c != "id"]
    return strings[0] if strings else None


def token_column(kept: DataFrame | None, rejects: DataFrame) -> str | None:
    """token_count's column (default ``n_tokens``), if both tables carry it."""
    for name in ("n_tokens", "tokens", "token_count"):
        if name in rejects.columns and (kept is None or name in kept.columns):
            return name
    return None


def volume(kept, rejects, text: str, tokens: str | None) -> tuple[dict, dict]:
    aggs = [F.sum(F.length(text)).alias("c")] + ([F.sum(tokens).alias("t")] if tokens else [])
    chars, toks = {}, {}
    for r in rejects.groupBy("drop_step", "drop_reason").agg(*aggs).collect():
        chars[(r["drop_step"], r["drop_reason"])] = r["c"] or 0
        if tokens:
            toks[(r["drop_step"], r["drop_reason"])] = r["t"] or 0
    if kept is not None and text in kept.columns:
        r = kept.agg(*aggs).first()
        chars["kept"] = r["c"] or 0
        if tokens:
            toks["kept"] = r["t"] or 0
    return chars, toks


_KEY_SEP = "\t"


def _metric_key(bound_row) -> str:
    return f"{bound_row['drop_step']}{_KEY_SEP}{bound_row['drop_reason']}"


def metric_histograms(rejects: DataFrame, steps: list[dict]) -> list[dict]:
    """Per filter reason, the measured value of the dropped rows with the bound drawn:
    the fallback for steps the run's metrics sample does not cover (a run that wrote
    none), which has only the rejects' details."""
    measured = rejects.select("drop_step", "drop_reason",
                              F.regexp_extract("drop_detail", MEASURE, 1).alias("value"),
                              F.regexp_extract("drop_detail", MEASURE, 3).alias("bound")
                              ).where(F.col("value") != "").cache()
    try:
        bounds = (measured.groupBy("drop_step", "drop_reason")
                  .agg(F.first("bound").alias("bound"), F.count("*").alias("n"))
                  .orderBy("drop_step", "drop_reason").collect())
        # One key per (step, reason), built the same way in Spark and on the driver.
        key = F.concat_ws(_KEY_SEP, F.col("drop_step").cast("string"), F.col("drop_reason"))
        drawn = histograms(measured.select(key.alias("k"), F.col("value").alias("v"),
                                           F.lit("dropped").alias("s")),
                           extra={_metric_key(b): (float(b["bound"]),) for b in bounds})
        out = []
        ops = {s["step"]: s["op"] for s in steps}
        for b in bounds:
            edges, counts = drawn.get(_metric_key(b), ([], {}))
            out.append({"step": b["drop_step"], "op": ops.get(b["drop_step"], "?"),
                        "reason": b["drop_reason"], "threshold": float(b["bound"]), "rows": b["n"],
                        "edges": edges, "counts": counts})
        return out
    finally:
        measured.unpersist()


def score_histograms(kept: DataFrame | None, rejects: DataFrame) -> list[dict]:
    """Numeric columns a step added (scores, token counts) that both tables carry:
    kept vs dropped over the same buckets."""
    if kept is None:
        return []
    numeric = {"double", "float", "int", "bigint", "smallint"}
    kept_types = dict(kept.dtypes)
    cols = [c for c, t in rejects.dtypes if t in numeric and c not in REJECT_COLS
            and kept_types.get(c) in numeric and c != "id"]
    if not cols:
        return []

    def long(df: DataFrame, series: str) -> DataFrame:  # one row per (row, column)
        pairs = F.explode(F.array(*[F.struct(F.lit(c).alias("k"), F.col(c).cast("double").alias("v"))
                                    for c in cols])).alias("p")
        return df.select(pairs).select("p.k", "p.v", F.lit(series).alias("s"))

    drawn = histograms(long(kept, "kept").unionByName(long(rejects, "dropped")))
    return [{"column": c, "edges": drawn[c][0], "counts": drawn[c][1]} for c in cols if c in drawn]


def duplicate_clusters(kept, rejects, text: str, id_col: str) -> tuple[dict | None, dict | None]:
    near = rejects.select(F.regexp_extract("drop_detail", NEAR, 1).alias("cluster"),
                          F.regexp_extract("drop_detail", NEAR, 2).cast("int").alias("size"),
                          id_col, text).where(F.col("cluster") != "")
    sizes = {r["size"]: r["count"] for r in
             near.groupBy("cluster").agg(F.max("size").alias("size")).groupBy("size").count().collect()}
    clusters = None
    if sizes:
        largest = near.groupBy("cluster").agg(F.max("size").alias("size"),
                                               F.min_by(F.col(text), F.xxhash64(id_col)).alias("member")
                                               ).orderBy(F.desc("size"), "cluster").limit(3).collect()
        pairs = []
        for r in largest:
            keeper = None
            if kept is not None and id_col in kept.columns:
                hit = kept.where(F.col(id_col).cast("string") == r["cluster"]).select(text).limit(1).collect()
                keeper = hit[0][0] if hit else None
            pairs.append({"cluster": r["cluster"], "size": r["size"], "keeper": keeper,
                          "member": r["member"], "jaccard": jaccard(keeper, r["member"])})
        clusters = {"sizes": dict(sorted(sizes.items())), "largest": pairs}
    exact = rejects.select(F.regexp_extract("drop_detail", EXACT, 1).alias("keeper")).where(F.col("keeper") != "")
    copies = {r["copies"]: r["count"] for r in
              exact.groupBy("keeper").agg(F.count("*").alias("copies")).groupBy("copies").count().collect()}
    return clusters, ({"copies": dict(sorted(copies.items()))} if copies else None)


def jaccard(a: str | None, b: str | None, n: int = 5) -> float | None:
    """Word n-gram Jaccard of two texts (computed on the driver for two documents)."""
    if a is None or b is None:
        return None

    def grams(s):
        w = re.findall(r"\w+", s.lower())
        return {tuple(w[i:i + n]) for i in range(max(len(w) - n + 1, 1))}

    x, y = grams(a), grams(b)
    return len(x & y) / len(x | y) if x | y else 1.0


def samples(rejects: DataFrame, text: str, id_col: str, counts: dict[str, int],
            k: int = SAMPLES_PER_REASON) -> dict[str, list[dict]]:
    """``k`` rejects per reason with the smallest hash of the id: the same rows every time.
    A hash-based pre-filter keeps about 200 k rows of a large reason before the window."""
    h = F.xxhash64(F.col(id_col).cast("string"))
    keep = F.lit(False)
    for reason, n in counts.items():
        fraction = min(1.0, 200.0 * k / max(n, 1))
        keep = keep | ((F.col("drop_reason") == reason) & (F.pmod(h, F.lit(1_000_000)) < fraction * 1_000_000))
    w = Window.partitionBy("drop_reason").orderBy("h", "id")
    rows = (rejects.where(keep).select("drop_reason", "drop_detail", F.col(id_col).cast("string").alias("id"),
                                       F.substring(text, 1, SAMPLE_CHARS).alias("text"),
                                       F.length(text).alias("chars"), h.alias("h"))
            .withColumn("rn", F.row_number().over(w)).where(F.col("rn") <= k)
            .orderBy("drop_reason", "rn").collect())
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r["drop_reason"], []).append(r.asDict())
    return out


def compute(tables, *, text: str = "text", id_col: str = "id") -> Panels:
    run, steps = latest_run(tables.stats)
    panels = Panels(run=run, steps=steps)
    rejects, kept = tables.rejects, tables.kept
    if tables.metrics is not None:
        missing = set(METRICS_COLUMNS) - set(tables.metrics.columns)
        if missing:
            panels.notes.append("the metrics table beside the stats is not a thresher metrics "
                                f"sample (no {', '.join(sorted(missing))}): not drawn")
        else:
            panels.sampled = True
            panels.inputs = input_histograms(tables.metrics, run["run_id"], steps)
    if rejects is None:
        panels.notes.append("no rejects table (output.rejects not set): no samples of rejected "
                            "rows, no duplicate or dropped-rows-only panels")
        return panels
    text_col = text_column(rejects, text)
    id_col = id_col if id_col in rejects.columns else None
    if text_col is None or id_col is None:
        panels.notes.append(f"the rejects have no text or id column ({text!r}, {id_col!r})")
        return panels
    tokens = token_column(kept, rejects)
    panels.chars, panels.tokens = volume(kept, rejects, text_col, tokens)
    covered = {(p["step"], r["reason"]) for p in panels.inputs for r in p["rules"]}
    panels.metrics = [m for m in metric_histograms(rejects, steps)
                      if (m["step"], m["reason"]) not in covered]
    panels.scores = score_histograms(kept, rejects)
    panels.clusters, panels.copies = duplicate_clusters(kept, rejects, text_col, id_col)
    counts = {reason: n for s in steps for reason, n in (s["dropped_by_reason"] or {}).items()}
    panels.samples = samples(rejects, text_col, id_col, counts)
    return panels
