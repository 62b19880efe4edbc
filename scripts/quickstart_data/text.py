"""Text helpers: whitespace words, shingles, Jaccard, and the Gopher quality/repetition rules."""

from __future__ import annotations

import collections
import re
import string
import unicodedata

SHINGLE = 5

# Gopher (Rae et al. 2021) rules, as in datatrove's GopherQualityFilter /
# GopherRepetitionFilter defaults.
STOP_WORDS = frozenset(["the", "be", "to", "of", "and", "that", "have", "with"])
STOP_WORDS_RE = re.compile(r"(?<!\w)(?:" + "|".join(sorted(STOP_WORDS)) + r")(?!\w)", re.I)
# datatrove counts lines starting with '•' or '-'; other implementations take more marks.
BULLETS = ("•", "●", "○", "◦", "▪", "▫", "■", "□", "‣", "⁃", "∙", "➢", "➤", "►", "▸", "▶", "-", "*", "–")
PUNCTUATION = frozenset(string.punctuation + "“”‘’«»…–—·•")
GOPHER = dict(
    min_doc_words=50, max_doc_words=100_000, min_avg_word_length=3, max_avg_word_length=10,
    max_symbol_word_ratio=0.1, max_bullet_lines_ratio=0.9, max_ellipsis_lines_ratio=0.3,
    max_non_alpha_words_ratio=0.8, min_stop_words=2,
    dup_line_frac=0.3, dup_para_frac=0.3, dup_line_char_frac=0.2, dup_para_char_frac=0.2,
    top_n_grams=((2, 0.2), (3, 0.18), (4, 0.16)),
    dup_n_grams=((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10)),
)
# Clean documents must pass stricter versions of the rules, so that small
# differences between implementations (tokenisation, line splitting) do not
# flip them.
CLEAN_MARGIN = dict(
    min_avg_word_length=3.3, max_avg_word_length=8.5, max_symbol_word_ratio=0.05,
    max_bullet_lines_ratio=0.6, max_ellipsis_lines_ratio=0.15, max_non_alpha_words_ratio=0.85,
    min_stop_words=3, repetition_scale=0.9,
)


def words_of(text: str) -> list[str]:
    return text.split()


def shingles(text: str, n: int = SHINGLE) -> set[str]:
    toks = text.lower().split()
    if len(toks) < n:
        return {" ".join(toks)} if toks else set()
    return {" ".join(toks[i:i + n]) for i in range(len(toks) - n + 1)}


def jaccard(a: set, b: set) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def normalize_for_exact(text: str) -> str:
    """The normalisation under which exact_dup_normalized rows equal their original."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def _dup_stats(items: list[str]) -> tuple[int, int]:
    seen: set[str] = set()
    n_dup = chars = 0
    for x in items:
        if x in seen:
            n_dup += 1
            chars += len(x)
        else:
            seen.add(x)
    return n_dup, chars


def _all_dup_ngram_chars(words: list[str], n: int) -> int:
    seen: set[str] = set()
    chars = idx = 0
    while idx < len(words) - n + 1:
        gram = "".join(words[idx:idx + n])
        if gram in seen:
            chars += len(gram)
            idx += n
        else:
            seen.add(gram)
            idx += 1
    return chars


def gopher_failures(text: str, strict: bool = False) -> list[str]:
    """Names of the Gopher quality/repetition rules ``text`` fails (whitespace words)."""
    g = dict(GOPHER)
    scale = 1.0
    if strict:
        g.update({k: v for k, v in CLEAN_MARGIN.items() if k in g})
        scale = CLEAN_MARGIN["repetition_scale"]
    out = []
    words = words_of(text)
    if not words:
        return ["empty"]
    non_symbol = [w for w in words if any(c not in PUNCTUATION for c in w)]
    if len(non_symbol) < g["min_doc_words"]:
        out.append("short_doc")
    if len(non_symbol) > g["max_doc_words"]:
        out.append("long_doc")
    if non_symbol:
        avg = sum(map(len, non_symbol)) / len(non_symbol)
        if not g["min_avg_word_length"] <= avg <= g["max_avg_word_length"]:
            out.append("avg_word_length")
    n = len(words)
    if text.count("#") / n > g["max_symbol_word_ratio"]:
        out.append("hash_ratio")
    if (text.count("...") + text.count("…")) / n > g["max_symbol_word_ratio"]:
        out.append("ellipsis_ratio")
    lines = text.splitlines() or [""]
    if sum(ln.lstrip().startswith(BULLETS) for ln in lines) / len(lines) > g["max_bullet_lines_ratio"]:
        out.append("bullet_lines")
    if sum(ln.rstrip().endswith(("...", "…")) for ln in lines) / len(lines) > g["max_ellipsis_lines_ratio"]:
        out.append("ellipsis_lines")
    if sum(any(c.isalpha() for c in w) for w in words) / n < g["max_non_alpha_words_ratio"]:
        out.append("non_alpha_words")
    if sum(w in STOP_WORDS for w in words) < g["min_stop_words"]:
        out.append("stop_words")  # datatrove: stop-word tokens, case-sensitive
    if len({m.lower() for m in STOP_WORDS_RE.findall(text)}) < g["min_stop_words"]:
        out.append("stop_words_distinct")  # distinct stop words, case-insensitive, whole words
    # repetition
    length = len(text)
    paras = re.split(r"\n{2,}", text.strip())
    d, c = _dup_stats(paras)
    if d / len(paras) > g["dup_para_frac"] * scale:
        out.append("dup_para_frac")
    if c / length > g["dup_para_char_frac"] * scale:
        out.append("dup_para_char_frac")
    lines2 = re.split(r"\n+", text)
    d, c = _dup_stats(lines2)
    if d / len(lines2) > g["dup_line_frac"] * scale:
        out.append("dup_line_frac")
    if c / length > g["dup_line_char_frac"] * scale:
        out.append("dup_line_char_frac")
    for k, frac in g["top_n_grams"]:
        grams = [" ".join(words[i:i + k]) for i in range(len(words) - k + 1)]
        if grams:
            top, cnt = collections.Counter(grams).most_common(1)[0]
            if cnt > 1 and len(top) * cnt / length > frac * scale:
                out.append(f"top_{k}_gram")
    for k, frac in g["dup_n_grams"]:
        if _all_dup_ngram_chars(words, k) / length > frac * scale:
            out.append(f"dup_{k}_grams")
    return out
