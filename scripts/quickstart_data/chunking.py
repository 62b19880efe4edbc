"""Cutting groups into web-sized documents, and the shingle index that keeps them distinct."""

from __future__ import annotations

import collections
import math
import random
from dataclasses import dataclass, field

from .sources import Group, Para

# Document sizes (whitespace words).
MIN_CLEAN_WORDS = 80
MAX_DOC_WORDS = 2000
TARGET_MEDIAN_WORDS = 120
TARGET_SIGMA = 0.75
LONG_DOC_SHARE = 0.05
LONG_DOC_MEDIAN_WORDS = 700

DISTINCT_JACCARD = 0.30  # clean docs must be below this Jaccard ...
DISTINCT_CONTAINMENT = 0.50  # ... and share less than this fraction of either's shingles


@dataclass
class Doc:
    key: int
    text: str | None
    source: str
    kind: str
    dup_of: int | None = None
    sh: set = field(default_factory=set, repr=False)


# --------------------------------------------------------------------------- chunking


def draw_target(rng: random.Random) -> int:
    # mostly short pages, with a tail of long ones
    median = TARGET_MEDIAN_WORDS if rng.random() >= LONG_DOC_SHARE else LONG_DOC_MEDIAN_WORDS
    t = rng.lognormvariate(math.log(median), TARGET_SIGMA)
    return int(min(max(t, 90), 1800))


def split_long_para(p: Para, limit: int) -> list[Para]:
    if p.n_words <= limit:
        return [p]
    out, cur, cur_w = [], [], 0
    for line in p.text.split("\n"):
        w = len(line.split())
        if cur and cur_w + w > limit:
            out.append(Para("\n".join(cur)))
            cur, cur_w = [], 0
        cur.append(line)
        cur_w += w
    if cur:
        out.append(Para("\n".join(cur)))
    return out


def chunk_group(g: Group, rng: random.Random) -> list[str]:
    paras: list[Para] = []
    for p in g.paras:
        paras += split_long_para(p, 900)
    chunks: list[list[Para]] = []
    cur: list[Para] = []
    cur_w = 0
    target = draw_target(rng)
    for p in paras:
        cur.append(p)
        cur_w += p.n_words
        if cur_w >= target and not cur[-1].heading:
            chunks.append(cur)
            cur, cur_w, target = [], 0, draw_target(rng)
    if cur and any(not p.heading for p in cur):
        if chunks and cur_w < MIN_CLEAN_WORDS and sum(p.n_words for p in chunks[-1]) + cur_w <= MAX_DOC_WORDS:
            chunks[-1].extend(cur)
        else:
            chunks.append(cur)
    texts = []
    for ch in chunks:
        # continuation pages of a module repeat its name as their title line
        if g.paras[0].heading and g.paras[0].text == g.title and ch[0].text != g.title:
            ch = [Para(g.title, heading=True)] + ch
        texts.append("\n\n".join(p.text for p in ch))
    return texts


# --------------------------------------------------------------------------- distinctness


class ShingleIndex:
    def __init__(self) -> None:
        self.index: dict[str, list[int]] = collections.defaultdict(list)
        self.sizes: dict[int, int] = {}

    def overlaps(self, sh: set) -> collections.Counter:
        c: collections.Counter = collections.Counter()
        for s in sh:
            for k in self.index.get(s, ()):
                c[k] += 1
        return c

    def add(self, key: int, sh: set) -> None:
        self.sizes[key] = len(sh)
        for s in sh:
            self.index[s].append(key)

    def too_close(self, sh: set) -> bool:
        for k, o in self.overlaps(sh).items():
            other = self.sizes[k]
            if o / (len(sh) + other - o) >= DISTINCT_JACCARD or o / min(len(sh), other) >= DISTINCT_CONTAINMENT:
                return True
        return False
