"""The numba tokeniser against fastText's own hashing and a byte-by-byte transcription."""
from __future__ import annotations

import random
import zlib

import numpy as np
import pyarrow as pa
import pytest

fasttext = pytest.importorskip("fasttext")  # the reference the tests compare with
pytest.importorskip("torch")

from .conftest import ALL_MODELS, library_proba
from .reference import fnv, reference_ids

from thresher.scorers.fasttext import TorchFastText  # noqa: E402
from thresher.scorers.fasttext.modelfile import read_model  # noqa: E402
from thresher.scorers.fasttext.tokenizer import MAX_CACHED_TEXT_BYTES, Tokenizer, WordCache  # noqa: E402
from thresher.scorers.fasttext.tokens import fnv_hash  # noqa: E402

WORDS = ["", "a", "the", "Café", "déjà", "日本語", "🎉", "👨‍👩‍👧", "\x7f", "ÿ", "e\u0301",
         "__label__x", "</s>", "<", "x" * 200]


def test_fnv_hash_matches_fasttext_subword_ids(model_dir):
    """get_subword_id(s) = nwords + hash(s) % bucket: the signed-char FNV-1a both ways."""
    lib = fasttext.load_model(str(model_dir / "softmax_chars.bin"))
    mf = read_model(model_dir / "softmax_chars.bin", matrices=False)
    for w in WORDS[1:]:
        b = w.encode()
        ours = int(fnv_hash(np.frombuffer(b, np.uint8), 0, len(b)))
        assert ours == fnv(b)
        assert lib.get_subword_id(w) == mf.nwords + ours % mf.bucket, w


@pytest.mark.parametrize("name", ["softmax_chars.bin", "ns_chars.bin", "ftz_pruned.ftz",
                                  "ftz_pruned_hs.ftz", "softmax_plain.bin"])
def test_single_word_rows_are_get_subwords_then_eos(model_dir, name):
    """A one-word text averages the word's rows (get_subwords: the word if known, its
    pruned char n-grams) and </s>'s, in that order (word n-grams follow, if any)."""
    lib = fasttext.load_model(str(model_dir / name))
    mf = read_model(model_dir / name, matrices=False)
    tok = Tokenizer(mf)
    eos = mf.words.index(b"</s>")
    for w in WORDS[1:]:
        if w in ("__label__x", "</s>"):
            continue
        ids, offsets = tok.ids([w])
        expected = [int(i) for i in lib.get_subwords(w)[1]] + [eos]
        assert ids[:len(expected)].tolist() == expected, w
        assert len(ids) <= len(expected) + 1  # at most the (word, </s>) bigram


@pytest.mark.parametrize("name", ALL_MODELS)
def test_rows_equal_the_reference_transcription(model_dir, texts, name):
    mf = read_model(model_dir / name, matrices=False)
    short = [t for t in texts if len(t) < 5000] + WORDS  # the 100k lines: parity tests
    ids, offsets = Tokenizer(mf).ids(short)
    for d, text in enumerate(short):
        assert ids[offsets[d]:offsets[d + 1]].tolist() == reference_ids(mf, text), text[:60]


def test_labels_and_eos_inside_a_text(model_dir):
    mf = read_model(model_dir / "softmax_words.bin", matrices=False)
    tok = Tokenizer(mf)
    ids, off = tok.ids(["the __label__typing __label__unknown module", "the module",
                        "the module </s> ignored after the literal end token", "the module </s>"])
    rows = [ids[off[i]:off[i + 1]].tolist() for i in range(4)]
    assert rows[0] == rows[1]  # label tokens, known or not, add nothing, not even n-grams
    assert rows[2] == rows[3]  # a literal </s> ends the line, as in fastText


def _fuzz_texts(n: int, seed: int) -> list[str]:
    """Random texts from pieces fastText treats specially: every ASCII separator, multi-byte
    characters of every UTF-8 length, label prefixes, </s>, angle brackets."""
    rng = random.Random(seed)
    pieces = [" ", "\t", "\r", "\v", "\f", "\x00", "\n", "  ", "a", "the", "module", "é", "ß",
              "日", "本", "🎉", "👍🏽", "\u200d", "\u00a0", "__label__", "__label__typing", "</s>",
              "<", ">", "s", "Type", "hints", ".", ",", "!", "'", "\x7f", "ÿ"]
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 40))) for _ in range(n)]


@pytest.mark.parametrize("name", ["softmax_both.bin", "ftz_pruned.ftz", "hs_plain.bin"])
def test_random_texts_match_the_reference_and_the_library(model_dir, name):
    texts = _fuzz_texts(400, seed=zlib.crc32(name.encode()))
    mf = read_model(model_dir / name)
    ids, offsets = Tokenizer(mf).ids(texts)
    for d, text in enumerate(texts):
        assert ids[offsets[d]:offsets[d + 1]].tolist() == reference_ids(mf, text), repr(text)
    lib = fasttext.load_model(str(model_dir / name))
    model = TorchFastText.from_file(model_dir / name, device="cpu")
    theirs = np.array([library_proba(lib, model.labels, t) for t in texts])
    np.testing.assert_allclose(model.predict_proba(texts), theirs, atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", ["softmax_both.bin", "ftz_pruned.ftz"])
def test_word_cache_rows_stand_for_the_rows_they_sum(model_dir, texts, name):
    """With the cache a known word is one row, the float32 sum of its rows (the word's,
    then its n-grams'), counted as all of them; long texts keep fastText's rows."""
    mf = read_model(model_dir / name, spare_rows=lambda header: header.nwords)
    tok = Tokenizer(mf)
    base = mf.input.shape[0]
    cache = WordCache(mf.input_buffer, base, mf.nwords)
    ids, offsets = tok.ids(texts)
    cids, coffsets, counts = tok.rows(texts, cache=cache)
    np.testing.assert_array_equal(counts, np.diff(offsets))
    for d, text in enumerate(texts):
        mine = cids[coffsets[d]:coffsets[d + 1]]
        if len(text.encode()) > MAX_CACHED_TEXT_BYTES:
            assert mine.tolist() == ids[offsets[d]:offsets[d + 1]].tolist()
    used = np.unique(cids[cids >= base]) - base
    assert used.size > 50 and (cache.counts[used] > 0).all()
    weight, eos = mf.input_buffer, mf.words.index(b"</s>")
    for wid in used[:40]:
        word = mf.words[wid].decode()
        rows = tok.ids([word])[0]
        rows = rows[:rows.tolist().index(eos)]  # the word's rows, then </s> and n-grams
        assert cache.counts[wid] == rows.size
        np.testing.assert_allclose(weight[base + wid], weight[rows].sum(axis=0, dtype=np.float64),
                                   rtol=1e-5, atol=1e-6)
