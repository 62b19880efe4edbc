"""Makers of near duplicates and of exact duplicates up to whitespace/case."""

from __future__ import annotations

import random
import re
import unicodedata

from .chunking import Doc
from .text import SHINGLE, jaccard, normalize_for_exact, shingles

NEAR_JACCARD = (0.70, 0.95)  # accepted Jaccard range of a near_dup to its original


HEADERS = [
    "{title} - Python 3.11 documentation",
    "From the Python standard library reference: {title}",
    "Reference notes on {title}",
    "Archived copy of the page about {title}",
    "{title} | Python docs mirror",
]
FOOTERS = [
    "Last updated on Dec 04, 2023.",
    "Copyright 2001-2023, Python Software Foundation.",
    "This page was mirrored from the Python documentation.",
    "Found a bug? Please report it on the issue tracker.",
    "Previous topic | Next topic | This page",
    "Was this page helpful? Let us know in the comments below.",
]


def tokens_with_seps(text: str) -> tuple[str, list[list[str]]]:
    lead = text[: len(text) - len(text.lstrip())]
    return lead, [[w, s] for w, s in re.findall(r"(\S+)(\s*)", text)]


def join_tokens(lead: str, toks: list[list[str]]) -> str:
    return lead + "".join(w + s for w, s in toks)


def edit_words(text: str, rng: random.Random, n_edits: int) -> str:
    lead, toks = tokens_with_seps(text)
    vocab = [w for w, _ in toks if w.isalpha() and len(w) > 2] or ["the"]
    for _ in range(n_edits):
        if len(toks) < 10:
            break
        i = rng.randrange(1, len(toks) - 1)
        op = rng.choice(("sub", "sub", "del", "ins", "swap", "typo"))
        if op == "sub":
            toks[i][0] = rng.choice(vocab)
        elif op == "del":
            if "\n" in toks[i][1]:
                toks[i - 1][1] = toks[i][1]
            del toks[i]
        elif op == "ins":
            toks.insert(i + 1, [rng.choice(vocab), " "])
        elif op == "swap":
            toks[i][0], toks[i + 1][0] = toks[i + 1][0], toks[i][0]
        else:
            w = toks[i][0]
            if len(w) >= 4:
                j = rng.randrange(1, len(w) - 1)
                toks[i][0] = w[:j] + w[j + 1:] if rng.random() < 0.5 else w[:j] + w[j] + w[j:]
            else:
                toks[i][0] = rng.choice(vocab)
    return join_tokens(lead, toks)


def change_header_footer(text: str, title: str, rng: random.Random) -> str:
    lines = text.split("\n")
    header = rng.choice(HEADERS).format(title=title)
    footer = rng.choice(FOOTERS)
    mode = rng.choice(("header", "footer", "both"))
    if mode in ("header", "both"):
        if len(lines[0].split()) <= 6:  # a title line: replace it
            lines[0] = header
        else:
            lines = [header, ""] + lines
    if mode in ("footer", "both"):
        if len(lines[-1].split()) <= 8 and len(lines) > 3:
            lines[-1] = footer
        else:
            lines += ["", footer]
    return "\n".join(lines)


def truncate_tail(text: str, rng: random.Random) -> str:
    keep = rng.uniform(0.74, 0.9)
    n = len(text.split())
    lines = text.split("\n")
    out, w = [], 0
    for ln in lines:
        if w >= keep * n and ln.strip():
            break
        out.append(ln)
        w += len(ln.split())
    if len(out) == len(lines):  # one long line: cut inside it
        toks = text.split(" ")
        out = [" ".join(toks[: int(len(toks) * keep)])]
    return "\n".join(out).rstrip()


def make_near_dup(orig: Doc, title: str, rng: random.Random, style: str) -> str | None:
    base = orig.sh
    lo, hi = NEAR_JACCARD
    for _attempt in range(30):
        t = orig.text
        if style == "truncate":
            t = truncate_tail(t, rng)
        elif style == "header_footer":
            t = change_header_footer(t, title, rng)
        target = rng.uniform(lo + 0.03, hi - 0.02)
        j = jaccard(shingles(t), base)
        s_count = max(len(base), 1)
        edits = max(0 if style != "edits" else 1,
                    round(s_count * (j - target) / (SHINGLE * (1 + target))))
        if edits:
            t = edit_words(t, rng, edits)
        j = jaccard(shingles(t), base)
        steps = 0
        while j > hi and steps < 20:
            t = edit_words(t, rng, max(1, round(len(base) * 0.01)))
            j = jaccard(shingles(t), base)
            steps += 1
        if lo <= j <= hi and t != orig.text:
            return t
    return None


def whitespace_variant(text: str, rng: random.Random) -> str:
    mode = rng.choice(("rewrap", "spaces", "crlf", "nbsp"))
    if mode == "rewrap":  # join wrapped lines of each paragraph
        paras = re.split(r"\n\s*\n", text)
        t = "\n\n".join(" ".join(p.split()) for p in paras)
    elif mode == "spaces":
        t = re.sub(r" ", lambda m: "  " if rng.random() < 0.15 else " ", text)
        t = "\n".join(ln + (" " * rng.randint(0, 3)) for ln in t.split("\n"))
    elif mode == "crlf":
        t = text.replace("\n", "\r\n") + "\r\n"
    else:
        t = re.sub(r"(?<=\w) (?=\w)", lambda m: "\u00a0" if rng.random() < 0.2 else " ", text)
    return "\n" + t + "\n\n" if rng.random() < 0.3 else t


def case_variant(text: str, rng: random.Random) -> str:
    mode = rng.choice(("lower", "title_upper", "sentence"))
    if mode == "lower":
        return "".join(c.lower() if c.isascii() else c for c in text)
    if mode == "title_upper":
        lines = text.split("\n")
        lines[0] = "".join(c.upper() if c.isascii() else c for c in lines[0])
        return "\n".join(lines)
    return re.sub(r"\b([a-z])([a-z]{3,})\b",
                  lambda m: (m.group(1).upper() + m.group(2)) if rng.random() < 0.25 else m.group(0), text)


def make_normalized_dup(orig: Doc, rng: random.Random) -> str | None:
    want = normalize_for_exact(orig.text)
    for _ in range(10):
        mode = rng.choice(("ws", "case", "both"))
        t = orig.text
        if mode in ("case", "both"):
            t = case_variant(t, rng)
        if mode in ("ws", "both"):
            t = whitespace_variant(t, rng)
        casefolded = " ".join(unicodedata.normalize("NFKC", t).casefold().split())
        if (t != orig.text and normalize_for_exact(t) == want
                and casefolded == " ".join(unicodedata.normalize("NFKC", orig.text).casefold().split())):
            return t
    return None
