"""Step 0 of every run: read the input, check it, and mark what cannot be processed.

Rows that step 0 drops keep a reason like any step's: ``read:empty`` (null or blank
text), ``read:malformed`` (a JSONL line Spark cannot parse, with its file and start),
``read:too_large`` (text over ``input.max_doc_bytes``: its reject keeps the first
1,000 characters, the input keeps the whole document). Ids are checked here too.
"""
from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .base import DROP_DETAIL, DROP_REASON, DROP_STEP, INTERNAL_COLUMNS
from .errors import InputError
from .ids import with_content_ids
from .io.readers import read_input_checked
from .recipe import Recipe

READ_STEP = "read"
EMPTY_REASON = f"{READ_STEP}:empty"
MALFORMED_REASON = f"{READ_STEP}:malformed"
TOO_LARGE_REASON = f"{READ_STEP}:too_large"
CORRUPT = "_corrupt_record"  # Spark's column for JSONL lines it cannot parse
REJECT_KEEPS_CHARS = 1000
OVERSIZE = "__thresher_oversize"  # the detail of a too-large text, until prepare()
REJECT_COLUMNS = {DROP_REASON: "drop_reason", DROP_STEP: "drop_step", DROP_DETAIL: "drop_detail"}


def read_source(spark, recipe: Recipe) -> tuple[DataFrame, list[tuple[str, str]]]:
    inp = recipe.spec.input
    df, skipped = read_input_checked(spark, format=inp.format, path=inp.path,
                                     options=dict(inp.options), text_unit=inp.text_unit,
                                     on_bad_file=inp.on_bad_file)
    if CORRUPT in df.columns:
        df = _malformed_lines(df, recipe)
    columns = dict(df.dtypes)
    if inp.text_column not in columns:
        raise InputError(f"{recipe.where('input', 'text_column')}: input {inp.path} has no text "
                         f"column '{inp.text_column}' "
                         f"(columns: {', '.join(columns)}); set input.text_column")
    if columns[inp.text_column] != "string":
        raise InputError(f"input {inp.path}: text column '{inp.text_column}' is "
                         f"{columns[inp.text_column]}, expected string")
    clash = [c for c in (*INTERNAL_COLUMNS, *REJECT_COLUMNS.values()) if c in columns]
    if clash:
        raise InputError(f"input {inp.path} has columns reserved by thresher: {', '.join(clash)}")
    df = _cut_oversize(df, inp.text_column, inp.max_doc_bytes)
    if inp.id_column is None:
        if "id" in columns:
            raise InputError(f"input {inp.path} has a column 'id' but input.id_column is not set: "
                             "set id_column: id to use it, or rename it (thresher would generate 'id')")
        df = with_content_ids(df, inp.text_column)
    elif inp.id_column not in columns:
        raise InputError(f"{recipe.where('input', 'id_column')}: input {inp.path} has no id "
                         f"column '{inp.id_column}' "
                         f"(columns: {', '.join(columns)})")
    return df, skipped


def _malformed_lines(df: DataFrame, recipe: Recipe) -> DataFrame:
    """JSONL lines Spark could not parse: a run fails naming the first (policy fail)
    or drops them as ``read:malformed`` with the file and the line's start."""
    inp = recipe.spec.input
    where = F.concat_ws(": ", F.col("_metadata.file_path"), F.substring(F.col(CORRUPT), 1, 200))
    df = df.withColumn(CORRUPT, F.when(F.col(CORRUPT).isNotNull(), where))
    if inp.on_bad_file == "fail":
        # Spark refuses a scan that reads its corrupt-record column alone: add a data column.
        data_cols = [c for c in df.columns if c != CORRUPT][:1]
        bad = df.where(F.col(CORRUPT).isNotNull()).select(CORRUPT, *data_cols).limit(1).collect()
        if bad:
            raise InputError(f"{recipe.where('input', 'path')}: input {inp.path} has a malformed "
                             f"JSON line: {bad[0][0]!r}; fix it, or set input.on_bad_file: skip "
                             f"to drop such lines (counted as {MALFORMED_REASON})")
    return df


def _cut_oversize(df: DataFrame, text_column: str, limit: int) -> DataFrame:
    """A text over ``limit`` bytes is cut to its start where it is read, so that no
    later step (ids, shuffles, caches) carries it; it is dropped in ``prepare``."""
    text = F.col(text_column)
    size = F.octet_length(text)
    detail = F.format_string(f"text of %d bytes is over input.max_doc_bytes ({limit:,}); "
                             f"this reject keeps its first {REJECT_KEEPS_CHARS:,} characters", size)
    return df.withColumns({
        OVERSIZE: F.when(size > limit, detail),
        text_column: F.when(size > limit, F.substring(text, 1, REJECT_KEEPS_CHARS)).otherwise(text),
    })


def prepare(recipe: Recipe, df: DataFrame) -> DataFrame:
    text = F.col(recipe.spec.input.text_column)
    empty = text.isNull() | (F.trim(text) == "")
    malformed = CORRUPT in df.columns
    bad = F.col(CORRUPT).isNotNull() if malformed else F.lit(False)
    raw = F.col(CORRUPT) if malformed else F.lit(None).cast("string")
    big = F.col(OVERSIZE).isNotNull() if OVERSIZE in df.columns else F.lit(False)
    big_detail = F.col(OVERSIZE) if OVERSIZE in df.columns else F.lit(None).cast("string")
    prepared = df.withColumns({
        DROP_REASON: F.when(bad, F.lit(MALFORMED_REASON)).when(big, F.lit(TOO_LARGE_REASON))
        .when(empty, F.lit(EMPTY_REASON)),
        DROP_STEP: F.when(bad | big | empty, F.lit(0)),
        DROP_DETAIL: F.when(bad, raw).when(big, big_detail).when(
            empty, F.when(text.isNull(), F.lit("text is null")).otherwise(F.lit("text is blank"))),
    })
    return prepared.drop(*[c for c in (CORRUPT, OVERSIZE) if c in df.columns])


def check_unique_ids(recipe: Recipe, df: DataFrame) -> None:
    id_column = recipe.spec.input.id_column
    if id_column is None:
        return  # generated ids are unique by construction
    if CORRUPT in df.columns:  # a malformed line has no id to check; it is dropped anyway
        df = df.where(F.col(CORRUPT).isNull())
    dupes = (df.groupBy(id_column).count()
             .where((F.col("count") > 1) | F.col(id_column).isNull())
             .orderBy(F.col(id_column).isNotNull(), F.desc("count"), id_column).limit(3).collect())
    if dupes and dupes[0][id_column] is None:
        raise InputError(f"input {recipe.spec.input.path}: id column '{id_column}' is null in "
                         f"{dupes[0]['count']} rows; every document needs an id (or leave "
                         "input.id_column unset for content-hash ids)")
    if dupes:
        examples = ", ".join(f"{r[id_column]!r} x{r['count']}" for r in dupes)
        raise InputError(f"input {recipe.spec.input.path}: id column '{id_column}' is not unique "
                         f"(e.g. {examples}); ids must identify one document each")
