"""Stable document ids.

With ``id_column`` the input's own ids are used (they must be unique: the runner
checks). Without it, the id is the first 32 hex digits of sha256(text), and the
k-th further copy of an identical text (ordered by source file, then by the
whole row's JSON) gets ``-k`` appended. The same input gives the same ids however
Spark partitions it, unlike ``monotonically_increasing_id``.
"""
from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

GENERATED_ID = "id"


def with_content_ids(df: DataFrame, text_column: str, id_column: str = GENERATED_ID) -> DataFrame:
    """Add ``id_column`` = content hash (+ occurrence suffix for identical texts)."""
    digest = F.substring(F.sha2(F.coalesce(F.col(text_column), F.lit("")), 256), 1, 32)
    tiebreak = F.to_json(F.struct(*[F.col(c) for c in df.columns]))
    order = Window.partitionBy("__thresher_digest").orderBy("__thresher_src", tiebreak)
    occurrence = F.row_number().over(order) - 1
    return (
        # input_file_name() only means something at the scan, before any shuffle.
        df.withColumns({"__thresher_digest": digest, "__thresher_src": F.input_file_name()})
        .withColumn(id_column, F.when(occurrence == 0, F.col("__thresher_digest"))
                    .otherwise(F.concat_ws("-", F.col("__thresher_digest"), occurrence.cast("string"))))
        .drop("__thresher_digest", "__thresher_src")
    )
