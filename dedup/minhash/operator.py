"""``minhash_dedup``: near-duplicate removal with MinHash LSH, as explicit stages.

normalised text -> band keys (numba signatures over Arrow batches) -> candidate
edges -> [verified edges] -> connected components (on the driver for a small edge
set, else Spark rounds) -> keepers. One frozen
``MinHashConfig`` drives the stages; with ``checkpoint_dir`` each stage's output is
written there and reused by a rerun over the same input and config (``stages.py``).

Unlike the row-wise operators, ``transform`` runs Spark jobs: connected components
iterate until nothing changes, which needs counts. Everything it returns is still
a lazy DataFrame over the input plus the materialised stage outputs.
"""
from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pyspark import StorageLevel
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from thresher.dedup.minhash.components import connected_components
from thresher.dedup.minhash.config import MAX_NUM_PERM, MinHashConfig
from thresher.dedup.minhash.driver_components import (DEFAULT_MAX_EDGES, driver_components,
                                                      driver_supported, fits_driver)
from thresher.dedup.minhash.index import (ANCHOR, SELF, UNVERIFIED, index_config, index_matches,
                                          index_rows, keeps_signatures, read_index)
from thresher.dedup.minhash.lsh import NORM, band_keys, candidate_edges, normalized, verify_edges
from thresher.dedup.minhash.stages import StageStore, input_fingerprint, release_dataframe, stage_key
from thresher.dedup.minhash.verify import (ESTIMATE_Z, HOT_PIVOTS, bucket_pairs, bucket_report,
                                           estimated_pairs)
from thresher.operators.io.fs import get_fs
from thresher.operators.base import DropRule, Operator, OpParams, SideOutput, live, mark_drops
from thresher.operators.errors import InputError, RecipeError
from thresher.operators.registry import register
from thresher.operators.text import udfs

DUP_CLUSTER, DUP_KEEP = "dup_cluster", "dup_keep"
_CLUSTER, _KEEP, _SIZE = "_thresher_mh_cluster", "_thresher_mh_keep", "_thresher_mh_size"
_INDEXED = "_thresher_mh_indexed"  # the cluster's keeper is in the index (an earlier run)
_KEEP_RULE = re.compile(r"^(first_id|longest|(max|min):(.+))$")
# What the signatures, band keys and candidate edges depend on.
_SIGNATURE_PARAMS = {"threshold", "ngram", "tokenizer", "num_perm", "bands", "rows", "seed",
                     "lowercase", "strip_punctuation", "unicode_form"}


@register("minhash_dedup")
class MinHashDedup(Operator):
    """Drop near-duplicates (MinHash LSH, Jaccard >= threshold), one keeper per cluster.

    Shingles: ``ngram`` words (or characters) of the text after NFKC, lower-casing,
    punctuation removal and whitespace collapsing; a text shorter than ``ngram``
    tokens is one shingle, its whole text. A text that normalises to nothing (only
    punctuation, say) has no shingles: it is left alone, never clustered. Signatures
    equal ``datasketch.MinHash(num_perm, seed, hashfunc=shingle_hash32)`` (MurmurHash3
    x86_32 of the shingle's UTF-8 bytes). Clusters are connected components of the
    candidate (or, with ``verify``, verified) edges; the keeper is chosen by ``keep``,
    ties by the smallest id, so the same input gives the same keepers on any cluster.

    ``verify: true`` also changes the candidates: bands and rows reach ``target_recall``
    at J = threshold (``config.recall_bands_rows``) and every pair sharing a bucket is
    estimated from the signatures, then verified exactly (pivots only in buckets of
    more than ``max_bucket`` members, reported as hot buckets; ``verify.py``).

    With ``index`` (a Delta table; the recipe's output must be Delta too), documents
    colliding with the band keys of documents kept by earlier runs are dropped, with
    every document clustered with them, and this run's keepers join the index when
    the output commits (``index.py``). A band collision with an indexed document counts
    only where their signatures (kept in the index) agree in ``threshold`` of positions.

    Connected components of at most ``driver_components_max_edges`` edges run once on
    the driver (``driver_components.py``), larger graphs in Spark rounds; the labels
    are the same, and the stats' ``components_on_driver`` says which ran.

    Example::

        - minhash_dedup: {threshold: 0.8, ngram: 5, num_perm: 128, keep: longest, verify: true}
    """

    class Params(OpParams):
        threshold: float = Field(0.8, gt=0.0, le=1.0, description="Jaccard similarity above "
                                 "which two documents are near-duplicates")
        ngram: int = Field(5, ge=1, description="tokens per shingle")
        tokenizer: Literal["word", "char"] = Field("word", description="shingles of words "
                                                   "or of characters (code points)")
        num_perm: int = Field(128, ge=2, le=MAX_NUM_PERM, description="MinHash permutations")
        bands: int | None = Field(None, ge=1, description="LSH bands (with rows; default: "
                                  "datasketch's optimum for threshold and num_perm)")
        rows: int | None = Field(None, ge=1, description="signature rows per band (with bands)")
        seed: int = Field(1, ge=0, le=2**32 - 1, description="seed of the permutations")
        lowercase: bool = Field(True, description="lower-case before shingling")
        strip_punctuation: bool = Field(True, description="replace punctuation (\\p{P}) by "
                                        "spaces before shingling")
        unicode_form: Literal["NFKC", "NFC", "none"] = Field("NFKC", description="Unicode "
                                                             "normalisation before shingling")
        verify: bool = Field(False, description="drop candidate pairs whose exact Jaccard "
                             "on the shingle sets is below threshold before clustering")
        target_recall: float = Field(0.99, gt=0.0, lt=1.0, description="with verify (and no "
                                     "bands/rows): choose bands and rows so that a pair at "
                                     "J = threshold becomes a candidate with this probability, "
                                     "at the least expected candidate count")
        max_bucket: int = Field(256, ge=2, description="with verify: a bucket of more members "
                                "is hot; only its smallest ids are paired with the others "
                                f"({HOT_PIVOTS} pivots), not all pairs")
        keep: str = Field("first_id", description="keeper of each cluster: first_id "
                          "(smallest id), longest (most characters), max:<column> or "
                          "min:<column>; ties by smallest id")
        mode: Literal["drop", "mark"] = Field("drop", description="drop: remove all but the "
                                              "keeper; mark: keep all rows, add dup_cluster "
                                              "(keeper's id) and dup_keep")
        checkpoint_dir: str | None = Field(None, min_length=1, description="write each "
                                           "stage's output here and reuse it on a rerun")
        index: str | None = Field(None, min_length=1, description="Delta table of the band "
                                  "keys and signatures of everything kept so far: drop "
                                  "documents matching it, append this run's keepers with "
                                  "the output")
        driver_components_max_edges: int = Field(
            DEFAULT_MAX_EDGES, ge=0, description="connected components of at most this many "
            "(verified) edges run once on the driver (union-find, same labels); more, or 0: "
            "Spark's Large-Star/Small-Star rounds")

        @field_validator("keep")
        @classmethod
        def _keep_rule(cls, v: str) -> str:
            if not _KEEP_RULE.match(v):
                raise ValueError(f"keep must be first_id, longest, max:<column> or "
                                 f"min:<column>, got {v!r}")
            return v

        @model_validator(mode="after")
        def _bands_rows(self):
            given = self.model_fields_set
            for name in ("target_recall", "max_bucket"):
                if name in given and not self.verify:
                    raise ValueError(f"{name} applies to verify: true (exactly verified "
                                     "candidates); set verify: true or drop it")
            if "target_recall" in given and self.bands is not None:
                raise ValueError("give bands/rows or target_recall, not both")
            self.config().bands_rows()  # the same checks as the stages will make
            return self

        def config(self) -> MinHashConfig:
            tuned = self.verify and self.bands is None
            return MinHashConfig(num_perm=self.num_perm, ngram=self.ngram,
                                 tokenizer=self.tokenizer, seed=self.seed,
                                 threshold=self.threshold, bands=self.bands, rows=self.rows,
                                 target_recall=self.target_recall if tuned else None)

        def signature_params(self) -> dict:
            """What the band keys depend on; bands and rows as chosen when recall-tuned
            (so an index or checkpoint of the balanced choice never compares)."""
            params = self.model_dump(include=_SIGNATURE_PARAMS)
            cfg = self.config()
            if cfg.target_recall is not None:
                params["bands"], params["rows"] = cfg.bands_rows()
            return params

    @property
    def keep_column(self) -> str | None:
        match = _KEEP_RULE.match(self.params.keep)
        return match.group(3) if match.group(2) else None

    def check_placement(self) -> None:
        if self.params.index and self.ctx.output_format != "delta":
            raise RecipeError("an index is appended in step with the recipe's output and "
                              "validated by its Delta history: it needs an output section "
                              f"with format: delta (found {self.ctx.output_format or 'none'})",
                              param="index")

    def requires(self) -> dict[str, str]:
        needs = {self.ctx.text_column: "string", self.ctx.id_column: "any"}
        if self.keep_column:
            needs[self.keep_column] = "any"
        return needs

    def adds(self) -> list[str]:
        return [DUP_CLUSTER, DUP_KEEP] if self.params.mode == "mark" else []

    def report(self) -> dict[str, float]:
        return dict(getattr(self, "_report", {}))

    def transform(self, df: DataFrame) -> DataFrame:
        p, cfg, id_name = self.params, self.params.config(), self.ctx.id_column
        spark = df.sparkSession
        self.release()  # a second transform (a notebook re-running a step) starts clean
        # The stages read the documents and the result joins the rows back: in a fused
        # recipe the input is one plan, so cache it (the staged runner has), or every
        # step before this one, a scorer too, runs twice.
        if not (df.storageLevel.useMemory or df.storageLevel.useDisk):
            df = self._hold(df.persist(StorageLevel.MEMORY_AND_DISK))
        # The stages read the documents up to three times: cache them (not the whole
        # rows) too, with the text normalised once.
        docs = (df.where(live())
                .select(id_name, *self._keep_source(),
                        normalized(self.text, lowercase=p.lowercase,
                                   strip_punctuation=p.strip_punctuation,
                                   unicode_form=p.unicode_form,
                                   jvm_udf=self._jvm_udfs(spark)).alias(NORM))
                .where(F.length(NORM) > 0)
                .persist(StorageLevel.MEMORY_AND_DISK))
        try:
            store = self._store = StageStore(spark, p.checkpoint_dir)
            checkpointed = p.checkpoint_dir is not None
            k = {"input": input_fingerprint(docs.select(id_name, NORM)) if checkpointed else ""}
            # Signatures verify in-batch pairs (verify) and matches against the index.
            signed = p.verify or bool(p.index)
            sig_params = p.signature_params() | ({"signatures": True} if signed else {})
            k["bands"] = stage_key(sig_params, k["input"])
            keys = store.stage("bands", k["bands"],
                               lambda: band_keys(docs, id_name, cfg, signatures=signed))
            estimated = None
            if p.verify:  # every pair of a bucket (pivots in hot ones), estimated, verified
                k["pairs"] = stage_key({"max_bucket": p.max_bucket, "pivots": HOT_PIVOTS}, k["bands"])
                candidates = store.stage("edges", k["pairs"],
                                         lambda: bucket_pairs(keys, id_name, p.max_bucket))
                k["estimated"] = stage_key({"estimate": p.threshold, "z": ESTIMATE_Z}, k["pairs"])
                estimated = store.stage("estimated", k["estimated"], lambda: estimated_pairs(
                    candidates, keys, id_name, cfg))
                k["edges"] = stage_key({"verify": p.threshold}, k["estimated"])
                edges = store.stage("verified", k["edges"],
                                    lambda: verify_edges(estimated, docs, id_name, cfg))
            else:
                candidates = store.stage("edges", k["bands"], lambda: candidate_edges(keys, id_name))
                edges, k["edges"] = candidates, k["bands"]
            cc_dir = None if store.root is None else f"{store.root}/cc-{k['edges']}"
            self._components_path, self._components_bytes = None, None
            comps = store.stage("components", k["edges"],
                                lambda: self._hold(self._components(edges, cc_dir)))
            keep_values = ""  # the keepers also depend on the keep column's values
            if checkpointed and p.keep != "first_id":
                keep_values = input_fingerprint(docs.select(id_name, "_keep_by"))
            if cc_dir is not None:  # the components stage holds the answer now
                fs, path = get_fs(cc_dir, spark)
                if fs.exists(path):
                    fs.delete(path)
            k["clusters"] = stage_key({"keep": p.keep, "values": keep_values}, k["edges"])
            clusters = store.stage("clusters", k["clusters"], lambda: self._keepers(comps, docs))
            self._keys, matched = keys, None
            if p.index:
                matched = self._index_matches(keys, spark)
            if matched is None:
                clusters = clusters.withColumns({_INDEXED: F.lit(False), SELF: F.lit(False)})
            else:
                clusters = self._hold(self._anchor(clusters, matched).localCheckpoint(eager=True))
            self._report = self._stage_report(keys, candidates, estimated,
                                              edges if p.verify else None, clusters, store)
            if self._components_path is not None:  # None: reused from a checkpoint
                self._report["components_on_driver"] = float(self._components_path == "driver")
            if self._components_bytes is not None:  # what collecting the edges would take
                self._report["components_edge_bytes"] = float(self._components_bytes)
            if p.index:
                counts = (0, 0) if matched is None else matched.agg(
                    F.count(F.lit(1)), F.count_if(F.col(UNVERIFIED))).first()
                self._report["index_matches"] = float(counts[0])
                self._report["index_matches_unverified"] = float(counts[1])
        finally:
            docs.unpersist()

        df = df.join(clusters, on=id_name, how="left")
        in_cluster = live() & F.col(_CLUSTER).isNotNull()
        if p.mode == "mark":
            own = F.col(id_name)
            out = df.withColumns({
                DUP_CLUSTER: F.when(in_cluster, F.col(_CLUSTER)).when(live(), own),
                DUP_KEEP: F.when(in_cluster, F.col(_KEEP)).when(live(), F.lit(True))})
        else:
            detail = F.format_string(
                "near duplicate of %s%s (cluster of %d)",
                F.when(F.col(_INDEXED), F.lit("indexed ")).otherwise(F.lit("")),
                F.col(_CLUSTER), F.col(_SIZE))
            already = F.format_string("already kept: id %s is in the index for this output",
                                      F.col(id_name).cast("string"))
            rule = DropRule("near_duplicate", in_cluster & ~F.col(_KEEP),
                            F.when(F.col(SELF), already).otherwise(detail))
            out = mark_drops(df, [rule], self.ctx)
        return out.drop(_CLUSTER, _KEEP, _SIZE, _INDEXED, SELF)

    def release(self) -> None:
        store = getattr(self, "_store", None)
        if store is not None:
            store.release()
        for held in getattr(self, "_held", []):
            release_dataframe(held)
        self._store, self._held = None, []

    def _hold(self, df: DataFrame) -> DataFrame:
        """Keep a materialised frame (a local checkpoint) for ``release``."""
        self._held.append(df)
        return df

    def side_outputs(self, kept: DataFrame, run_id: str) -> list[SideOutput]:
        if not self.params.index:
            return []
        rows = index_rows(kept, self._keys, self.ctx.id_column, run_id=run_id,
                          output=self.ctx.output_path, config=self._index_config(),
                          signatures=keeps_signatures(kept.sparkSession, self.params.index))
        return [SideOutput("minhash index", rows, self.params.index)]

    def _index_config(self) -> str:
        return index_config(self.params.signature_params())

    def _output_mode(self) -> str:
        """The recipe output's mode (``StepContext.output_mode``); ``append`` where the
        framework does not say (its behaviour before the mode was passed to steps)."""
        return getattr(self.ctx, "output_mode", None) or "append"

    def _index_matches(self, keys: DataFrame, spark) -> DataFrame | None:
        # An overwrite replaces the output's rows: the index rows kept into it stop counting.
        replaced = self.ctx.output_path if self._output_mode() == "overwrite" else None
        try:
            index = read_index(spark, self.params.index, self._index_config(),
                               replaced_output=replaced)
        except InputError as exc:
            raise InputError(f"step {self.ctx.step} ({self.name}), param 'index': {exc}") from exc
        if index is None:
            return None
        matched = index_matches(keys, index, self.ctx.id_column, self.ctx.output_path,
                                threshold=self.params.threshold)
        return self._hold(matched.localCheckpoint(eager=True))

    def _anchor(self, clusters: DataFrame, matched: DataFrame) -> DataFrame:
        """Clusters with a document matching the index keep nothing: their keeper was
        kept by an earlier run, whose (smallest) id becomes the cluster's label."""
        id_name = self.ctx.id_column
        id_type = clusters.schema[id_name].dataType
        both = clusters.join(matched, id_name, "full_outer")
        label = F.coalesce(F.col(_CLUSTER), F.col(id_name))  # a lone match is its own cluster
        anchor = F.min(ANCHOR).over(Window.partitionBy(label))
        return both.select(
            id_name,
            F.coalesce(anchor.cast(id_type), label).alias(_CLUSTER),
            (F.coalesce(F.col(_KEEP), F.lit(True)) & anchor.isNull()).alias(_KEEP),
            F.coalesce(F.col(_SIZE), F.lit(1)).alias(_SIZE),
            anchor.isNotNull().alias(_INDEXED),
            F.coalesce(F.col(SELF), F.lit(False)).alias(SELF))

    def _jvm_udfs(self, spark) -> bool:
        """The compiled normalisation when the text UDFs load (``spark.thresher.textUdfs``)."""
        return self.ctx.jvm_udfs if self.ctx.jvm_udfs is not None else udfs.enable(spark)

    def _keep_source(self) -> list:
        column = self.keep_column
        if self.params.keep == "longest":
            return [F.length(self.text).alias("_keep_by")]
        return [F.col(column).alias("_keep_by")] if column else []

    def _components(self, edges: DataFrame, cc_dir: str | None) -> DataFrame:
        """``(node, component)``: on the driver for a small edge set, else in Spark."""
        pairs = edges.select("src", "dst")
        bound = self.params.driver_components_max_edges
        # edges is a materialised stage: measuring it reads the cache, not the input
        if bound > 0 and driver_supported(pairs.schema["src"].dataType):
            fits, _count, self._components_bytes = fits_driver(pairs, bound)
            if fits:
                self._components_path = "driver"
                return driver_components(pairs).components
        self._components_path = "spark"
        return connected_components(pairs, checkpoint_dir=cc_dir).components

    def _keepers(self, comps: DataFrame, docs: DataFrame) -> DataFrame:
        """``(id, cluster, keep, size)`` for every clustered document."""
        id_name, rule = self.ctx.id_column, self.params.keep
        members = comps.select(F.col("node").alias(id_name), F.col("component").alias("_cc"))
        if rule != "first_id":
            members = members.join(docs.select(id_name, "_keep_by"), id_name)
        order = [F.col(id_name).asc()]
        if rule == "longest" or rule.startswith("max:"):
            order.insert(0, F.col("_keep_by").desc_nulls_last())
        elif rule.startswith("min:"):
            order.insert(0, F.col("_keep_by").asc_nulls_last())
        ranked = Window.partitionBy("_cc").orderBy(*order)
        whole = Window.partitionBy("_cc")
        return members.select(
            id_name,
            F.first(id_name).over(ranked).alias(_CLUSTER),
            (F.row_number().over(ranked) == 1).alias(_KEEP),
            F.count(F.lit(1)).over(whole).alias(_SIZE))

    @staticmethod
    def _stage_report(keys, candidates, estimated, verified, clusters,
                      store: StageStore) -> dict[str, float]:
        sizes = (clusters.groupBy(_CLUSTER)
                 .agg(F.count(F.lit(1)).alias("n"), F.count_if(~F.col(_KEEP)).alias("removed"))
                 .agg(F.count(F.lit(1)).alias("clusters"), F.max("n").alias("largest"),
                      F.sum("removed").alias("removed")).first())
        out = {"documents": float(keys.count())}
        if verified is None:
            out["candidate_pairs"] = float(candidates.count())
        else:  # candidate pairs, hot buckets, then what the estimate and verify keep
            out |= bucket_report(candidates)
            out["pairs_after_estimate"] = float(estimated.count())
            out["pairs_after_verify"] = float(verified.count())
        out |= {"clusters": float(sizes["clusters"]), "largest_cluster": float(sizes["largest"] or 0),
               "near_duplicates": float(sizes["removed"] or 0)}
        out.update({f"seconds_{k}": round(v, 3) for k, v in store.seconds.items()})
        out.update({f"reused_{k}": float(v) for k, v in store.reused.items()})
        return out
