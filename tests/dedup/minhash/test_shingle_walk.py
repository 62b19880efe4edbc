"""The one shingle walk that signatures and verify share: the spans it returns are
``reference_shingles`` in order, whatever the room per call (a room of 1, 2, 3 spans
makes every text resume many times, at every kind of position)."""
from __future__ import annotations

import numpy as np
import pytest

from thresher.dedup.minhash.config import MinHashConfig
from thresher.dedup.minhash.reference import reference_shingles
from thresher.dedup.minhash.shingle_walk import DONE, WALK_STATE, next_spans, start_walk

TEXTS = ["", "one", "two words", "a b c", "a b c d e f g h i j k l",
         "héllo wörld ünïcode ✓ text", "日本語のテキスト です", "x" * 40]


def walk(text: str, ngram: int, char_mode: bool, room: int) -> list[bytes]:
    data = np.frombuffer(text.encode("utf-8"), np.uint8)
    ring = np.zeros(ngram, np.int64)
    begins, ends = np.empty(room, np.int64), np.empty(room, np.int64)
    state, spans = np.zeros(WALK_STATE, np.int64), []
    start_walk(state, 0)
    for _ in range(10_000):
        n = next_spans(data, 0, len(data), ngram, char_mode, ring, state, begins, ends)
        spans += [bytes(data[b:e]) for b, e in zip(begins[:n], ends[:n])]
        if state[DONE]:
            return spans
    raise AssertionError("the walk never finished")


@pytest.mark.parametrize("room", [1, 2, 3, 512])
@pytest.mark.parametrize("tokenizer,ngram", [("word", 1), ("word", 3), ("char", 2), ("char", 5)])
def test_spans_are_the_reference_shingles_in_order(room, tokenizer, ngram):
    cfg = MinHashConfig(ngram=ngram, tokenizer=tokenizer)
    for text in TEXTS:
        spans = walk(text, ngram, tokenizer == "char", room)
        assert set(spans) == reference_shingles(text, cfg), (text, room)
        tokens = list(text) if tokenizer == "char" else text.split(" ")
        join = "".join if tokenizer == "char" else " ".join
        in_order = [join(tokens[i:i + ngram]).encode() for i in range(len(tokens) - ngram + 1)]
        expected = [] if not text else in_order or [text.encode()]
        assert spans == expected, (text, room)  # in order, repeated shingles too
