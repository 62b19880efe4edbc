"""``language_id`` and ``language_filter``: a fastText language-identification model over
Spark DataFrames, batched like ``fasttext_score``.

Any supervised fastText model whose labels are languages works: lid.176.bin / .ftz
(``__label__en``), GlotLID (``__label__eng_Latn``), or one trained with
``fasttext_train``. The step adds the top label, without ``__label__``, and its
probability: what ``fasttext``'s ``predict(text, k=1)`` returns, with newlines read as
spaces (as DataTrove's and FineWeb's ``LanguageFilter`` call it). Both are null for rows
an earlier step dropped and for texts that give the model no input.

``language_filter`` then keeps rows whose language is one of ``languages`` with a score
of at least ``min_score`` (FineWeb and DCLM keep ``en`` at 0.65); ``min_score`` may be a
map of per-language bounds, as FineWeb-2 sets them. Drop reasons: ``other_language``,
``low_language_score`` and ``no_language`` (the model predicts nothing).

Example::

    - language_filter: {model: data/models/lid.ftz, languages: [en], min_score: 0.65}
"""
from __future__ import annotations

from pydantic import Field, model_validator
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, StringType, StructField, StructType

from thresher.operators.arrow import live_rows
from thresher.operators.base import DROP_REASON, DropRule, Operator, mark_drops
from thresher.operators.errors import ModelFileError
from thresher.operators.io.fs import failpoint
from thresher.operators.models import ShippedFile, load_once, ship_file
from thresher.operators.registry import register
from thresher.operators.text._expr import fmt

from .operator import _SCHEME, LABEL_PREFIX, _checkable, _header, _load, _ModelParams


def language_of(label: str) -> str:
    return label.removeprefix(LABEL_PREFIX)


@register("language_id")
class LanguageID(Operator):
    """Add the language a fastText language-ID model predicts, and its probability.

    Example::

        - language_id: {model: data/models/lid.ftz}   # adds language, language_score
    """

    class Params(_ModelParams):
        output: str = Field("language", min_length=1, description="column for the language "
                            "(the label without __label__)")
        score_output: str = Field("language_score", min_length=1,
                                  description="column for its probability")

        @model_validator(mode="after")
        def _distinct_outputs(self):
            if self.output == self.score_output:
                raise ValueError("output and score_output must be different columns")
            return self

    def adds(self) -> list[str]:
        return [self.params.output, self.params.score_output]

    def model_languages(self) -> list[str]:
        return [language_of(label) for label in _header(self.params.model).labels]

    def transform(self, df: DataFrame) -> DataFrame:
        p = self.params
        if not _SCHEME.match(p.model):  # a model an earlier step wrote is first read here
            try:
                self.model_languages()
            except (OSError, ValueError) as exc:
                raise ModelFileError(f"step {self.ctx.step} ({self.name}): {exc}",
                                     path=p.model) from None
        shipped = ship_file(df.sparkSession, p.model)
        df = df.drop(*[c for c in self.adds() if c in df.columns])  # re-scoring overwrites
        schema = StructType(df.schema.fields + [StructField(p.output, StringType(), True),
                                                StructField(p.score_output, DoubleType(), True)])
        config = dict(text=self.ctx.text_column, outputs=self.adds(),
                      batch_size=p.batch_size, device=p.device,
                      live=DROP_REASON if DROP_REASON in df.columns else None)

        def identify(batches):
            yield from identify_batches(batches, shipped, config)

        return df.mapInArrow(identify, schema)


@register("language_filter")
class LanguageFilter(LanguageID):
    """Identify the language (as ``language_id``) and keep the given languages at a score.

    Example::

        - language_filter: {model: data/models/lid.ftz, languages: [en], min_score: 0.65}
        - language_filter: {model: data/models/lid.ftz, languages: [de, fr],
                            min_score: {de: 0.7, fr: 0.6}}
    """

    class Params(LanguageID.Params):
        languages: list[str] | None = Field(None, min_length=1, description="languages to keep "
                                            "(labels, with or without __label__); None: any")
        min_score: float | dict[str, float] = Field(
            0.65, description="keep rows whose language scores at least this; a map gives "
            "each kept language its own bound")

        @model_validator(mode="after")
        def _languages_and_bounds(self):
            bounds = self.min_score if isinstance(self.min_score, dict) else {"": self.min_score}
            for language, bound in bounds.items():
                if not 0.0 <= bound <= 1.0:
                    where = f" for {language}" if language else ""
                    raise ValueError(f"min_score{where} must be in 0..1, not {bound}")
            wanted = [language_of(x) for x in self.languages or []]
            if isinstance(self.min_score, dict):
                if not self.languages:
                    raise ValueError("a min_score map needs languages (the languages it bounds)")
                extra = sorted(set(map(language_of, self.min_score)) - set(wanted))
                if extra or len(self.min_score) != len(wanted):
                    raise ValueError("a min_score map gives one bound for each of languages; "
                                     f"it has {sorted(self.min_score)} for languages {wanted}")
            if _checkable(self.model) and wanted:
                known = [language_of(label) for label in self.labels_of_model()]
                missing = [x for x in wanted if x not in known]
                if missing:
                    shown = ", ".join(known[:30]) + (f", ... ({len(known)} in all)"
                                                     if len(known) > 30 else "")
                    raise ValueError(f"languages {missing} are not labels of model "
                                     f"{self.model}; its languages: {shown}")
            return self

    def bounds(self) -> dict[str, float] | float:
        p = self.params
        if isinstance(p.min_score, dict):
            return {language_of(k): v for k, v in p.min_score.items()}
        return p.min_score

    def rules(self) -> list[DropRule]:
        p = self.params
        language, score = F.col(p.output), F.col(p.score_output)
        bounds = self.bounds()
        rules = [DropRule("no_language", language.isNull(),
                          F.lit("the model predicts no language for this text"))]
        if p.languages:
            wanted = [language_of(x) for x in p.languages]
            rules.append(DropRule("other_language", ~language.isin(*wanted), fmt(
                f"{p.output}=%s {p.score_output}=%.3f not in [{', '.join(wanted)}]",
                language, score)))
        if isinstance(bounds, dict):
            bound = F.element_at(F.create_map(*[F.lit(x) for kv in bounds.items() for x in kv]),
                                 language)
        else:
            bound = F.lit(bounds)
        rules.append(DropRule("low_language_score", score < bound, fmt(
            f"{p.score_output}=%.4f < min=%.4f ({p.output}=%s)", score, bound, language)))
        return rules

    def transform(self, df: DataFrame) -> DataFrame:
        return mark_drops(super().transform(df), self.rules(), self.ctx)


def identify_batches(batches, shipped: ShippedFile, config: dict):
    """mapInArrow body: append the top language and its probability to every batch."""
    import numpy as np
    import pyarrow as pa

    from thresher.scorers.device import resolve_device

    config = {**config, "device": str(resolve_device(config["device"]))}
    model = load_once(("fasttext", *shipped.version, config["device"]),
                      lambda: _load(shipped, config["device"]))
    names = np.array([language_of(label) for label in model.labels], dtype=object)
    failpoint("language_id")  # fault tests: an executor lost mid-step
    for batch in batches:
        texts = batch.column(config["text"])
        live = live_rows(batch, config["live"])
        probs = np.full((len(texts), len(names)), np.nan)
        if live.all():
            probs = model.predict_proba(texts, batch_size=config["batch_size"])
        elif live.any():  # rows dropped by earlier steps are not scored
            probs[live] = model.predict_proba(texts.filter(pa.array(live)),
                                              batch_size=config["batch_size"])
        known = ~np.isnan(probs).any(axis=1)
        top = np.argmax(np.nan_to_num(probs, nan=-1.0), axis=1)
        language = pa.array(np.where(known, names[top], None), pa.string())
        score = pa.array(probs[np.arange(len(texts)), top], pa.float64(), mask=~known)
        yield pa.RecordBatch.from_arrays(batch.columns + [language, score],
                                         names=batch.schema.names + config["outputs"])
