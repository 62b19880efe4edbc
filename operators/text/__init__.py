"""Heuristic text operators: normalisation and Gopher/C4-style quality filters.

Every operator is a Spark SQL expression (no Python UDFs). Importing this package
registers them: ``normalize_text``, ``char_count_filter``, ``word_count_filter``,
``mean_word_length_filter``, ``alpha_ratio_filter``, ``symbol_ratio_filter``,
``line_end_ellipsis_filter``, ``bullet_line_filter``, ``stopword_filter``,
``duplicate_line_fraction_filter``, ``top_ngram_repetition_filter`` and the web-text
rules ``c4_filter``, ``fineweb_filter``, ``url_filter``, ``pii_redact``, ``decontaminate`` and ``token_count``.
"""
from . import (c4, decontaminate, fineweb, gopher, length, normalize,  # noqa: F401
               pii, repetition, tokens, url)  # (importing registers them)
from .c4 import C4Filter
from .decontaminate import Decontaminate
from .fineweb import FineWebFilter
from .gopher import (AlphaRatioFilter, BulletLineFilter, LineEndEllipsisFilter, StopwordFilter,
                     SymbolRatioFilter)
from .length import CharCountFilter, MeanWordLengthFilter, WordCountFilter
from .normalize import NormalizeText
from .pii import PIIRedact
from .repetition import DuplicateLineFractionFilter, TopNgramRepetitionFilter
from .tokens import TokenCount
from .url import URLFilter

__all__ = ["AlphaRatioFilter", "BulletLineFilter", "C4Filter", "CharCountFilter", "Decontaminate",
           "DuplicateLineFractionFilter", "FineWebFilter", "LineEndEllipsisFilter",
           "MeanWordLengthFilter", "NormalizeText", "PIIRedact", "StopwordFilter",
           "SymbolRatioFilter", "TokenCount", "TopNgramRepetitionFilter", "URLFilter",
           "WordCountFilter"]
