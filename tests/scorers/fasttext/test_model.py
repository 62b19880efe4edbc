"""TorchFastText against the fastText library: predict(k=-1) probabilities, label by label."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

fasttext = pytest.importorskip("fasttext")  # the reference the tests compare with
pytest.importorskip("torch")

from .conftest import ALL_MODELS, library_proba

from thresher.scorers.fasttext import TorchFastText, resolve_device  # noqa: E402
from thresher.scorers.fasttext.heads import sigmoid_table  # noqa: E402

TOL = 1e-5  # the bound; observed differences are float32 rounding (< 3e-7)


@pytest.fixture(scope="module")
def loaded(model_dir):
    """(name, word_cache) -> (fastText library model, TorchFastText on the CPU); the word
    cache (on by default on the CPU) only exists for models with char n-grams."""
    cache = {}

    def get(name, word_cache=None):
        if (name, word_cache) not in cache:
            path = str(model_dir / name)
            cache[name, word_cache] = (fasttext.load_model(path), TorchFastText.from_file(
                path, device="cpu", word_cache=word_cache))
        return cache[name, word_cache]

    return get


def _library(lib, labels, texts):
    return np.array([library_proba(lib, labels, t) for t in texts])


@pytest.mark.parametrize("word_cache", [True, False], ids=["cache", "no_cache"])
@pytest.mark.parametrize("name", ALL_MODELS)
def test_predict_proba_equals_library(loaded, texts, name, word_cache):
    lib, model = loaded(name, word_cache)
    assert model.labels == list(lib.labels)
    assert (model.cache is not None) == (word_cache and model.tokenizer.maxn > 0)
    theirs = _library(lib, model.labels, texts)
    for attempt in ("cache filled as the texts come", "cache full"):
        ours = model.predict_proba(texts)
        assert ours.shape == (len(texts), len(lib.labels))
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
        diff = np.nan_to_num(np.abs(ours - theirs))
        worst = int(diff.max(axis=1).argmax())
        assert diff.max() <= TOL, (name, attempt, texts[worst][:80], ours[worst], theirs[worst])


@pytest.mark.parametrize("word_cache", [True, False], ids=["cache", "no_cache"])
@pytest.mark.parametrize("name", ALL_MODELS)
def test_hidden_vector_equals_library_sentence_vector(loaded, texts, name, word_cache):
    """The hidden vector is fastText's averaged input rows (get_sentence_vector): the
    same float32 sums without the word cache, within float rounding with it."""
    lib, model = loaded(name, word_cache)
    theirs = np.array([lib.get_sentence_vector(t.replace("\n", " ")) for t in texts])
    ours = model.hidden(texts)
    with_rows = ~np.isnan(ours).any(axis=1)  # no input row: NaN here, zeros there
    np.testing.assert_array_equal(theirs[~with_rows], 0.0)
    if model.cache is None:
        np.testing.assert_array_equal(ours[with_rows], theirs[with_rows])
    np.testing.assert_allclose(ours[with_rows], theirs[with_rows], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["softmax_chars.bin", "ftz_pruned.ftz", "hs_both.bin"])
def test_word_cache_on_threads_and_when_full(model_dir, texts, name):
    """Threads only read the cache and flag the words they miss, which are cached after
    the batch; a cache smaller than the dictionary keeps the most frequent words."""
    import torch

    path = str(model_dir / name)
    lib = fasttext.load_model(path)
    docs = [t for t in texts if len(t) < 5000] * 3  # enough texts for several threads
    want = _library(lib, list(lib.labels), docs)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(3)
        # one batch tokenised by 3 threads; then batches spread over 3 threads
        for batch_size in (len(docs), 16):
            model = TorchFastText.from_file(path, device="cpu")
            for _ in range(2):
                np.testing.assert_allclose(model.predict_proba(docs, batch_size=batch_size),
                                           want, atol=TOL, rtol=0)
            assert (model.cache.counts > 0).sum() > 100
            assert not model.cache.want.any()
            assert torch.get_num_threads() == 3
        small = TorchFastText.from_file(path, device="cpu",
                                        cache_bytes=50 * 4 * model.embedding.weight.shape[1])
        assert small.cache.size == 50
        torch.set_num_threads(1)
        np.testing.assert_allclose(small.predict_proba(docs), want, atol=TOL, rtol=0)
        assert (small.cache.counts > 0).sum() >= 45  # </s> has no n-grams: never cached
    finally:
        torch.set_num_threads(threads)


def test_word_cache_needs_the_cpu(model_dir):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no GPU")
    model = TorchFastText.from_file(model_dir / "softmax_chars.bin", device="cuda")
    assert model.cache is None
    with pytest.raises(ValueError, match="word_cache"):
        TorchFastText.from_file(model_dir / "softmax_chars.bin", device="cuda", word_cache=True)


def test_models_cover_every_kind(loaded):
    kinds = {name: (m.loss, m.quantized) for name in ALL_MODELS for m in [loaded(name)[1]]}
    assert {loss for loss, _ in kinds.values()} == {"softmax", "ova", "ns", "hs"}
    assert kinds["ftz_pruned.ftz"] == ("softmax", True) and kinds["ftz_qout.ftz"][1]


def test_hs_reports_zero_for_labels_predict_prunes(loaded, texts):
    """predict's tree search drops labels below ~1e-5: the library omits them, we give 0."""
    lib, model = loaded("hs_plain.bin")
    probs = model.predict_proba(texts)
    omitted = [(i, j) for i, t in enumerate(texts) for j in range(len(model.labels))
               if model.labels[j] not in lib.predict(t.replace("\n", " "), k=-1)[0]]
    assert omitted, "the fixture model should saturate on some texts"
    assert all(probs[i, j] == 0.0 for i, j in omitted)


@pytest.mark.parametrize("name", ["softmax_both.bin", "hs_both.bin", "ftz_pruned_hs.ftz"])
def test_raw_probabilities_sum_to_one(loaded, texts, name):
    _, model = loaded(name)
    raw = model.predict_proba(texts, raw=True)
    np.testing.assert_allclose(raw.sum(axis=1), 1.0, atol=1e-5)
    reported = model.predict_proba(texts)
    if model.loss == "softmax":
        np.testing.assert_allclose(reported, raw + 1e-5, atol=3e-7)
    else:  # hs floors every factor on the path: p + 1e-5 per step, up to the tree's depth
        keep = reported > 0  # labels predict prunes are 0
        depth = model.head.edges.shape[1]
        excess = reported[keep] - raw[keep]
        assert excess.min() > -3e-7 and excess.max() < depth * 1.1e-5


def test_raw_one_vs_all_uses_the_sigmoid_table(loaded, texts):
    _, model = loaded("ova_both.bin")
    raw = model.predict_proba(texts, raw=True)
    table = set(sigmoid_table().astype(np.float64).tolist()) | {0.0, 1.0}
    assert set(np.unique(raw).tolist()) <= table
    np.testing.assert_allclose(model.predict_proba(texts), raw + 1e-5, atol=3e-7)


def test_text_without_any_input_row_is_nan_like_the_empty_library_prediction(loaded):
    lib, model = loaded("no_eos.bin")
    texts = ["", "   ", "zzz", "</s>", "__label__a", "foo", "foo zzz", "baz\nfoo"]
    probs = model.predict_proba(texts)
    empty = [not lib.predict(t.replace("\n", " "), k=-1)[0] for t in texts]
    assert empty == [True] * 5 + [False] * 3
    assert np.isnan(probs[:5]).all() and not np.isnan(probs[5:]).any()
    assert np.isnan(model.predict_proba(texts[:5], batch_size=2)).all()  # batches with no row


def test_newlines_are_spaces_and_null_is_the_empty_string(loaded):
    _, model = loaded("softmax_both.bin")
    a = model.predict_proba(pa.array(["one\ntwo\n\nthree\n", "one two three", None, ""]))
    np.testing.assert_array_equal(a[0], a[1])
    np.testing.assert_array_equal(a[2], a[3])


def test_arrow_inputs_and_batch_sizes_agree(loaded, texts):
    _, model = loaded("hs_both.bin")
    texts = texts[:150]
    want = model.predict_proba(texts)
    big = pa.array(["padding"] * 3 + texts)
    variants = {
        "string": pa.array(texts, pa.string()),
        "large_string": pa.array(texts, pa.large_string()),
        "string_view": pa.array(texts, pa.string_view()),
        "sliced": big.slice(3),
        "chunked": pa.chunked_array([pa.array(texts[:40]), pa.array(texts[40:])]),
    }
    for kind, arr in variants.items():
        np.testing.assert_array_equal(model.predict_proba(arr), want, err_msg=kind)
    np.testing.assert_allclose(model.predict_proba(texts, batch_size=7), want, atol=1e-7)
    assert model.predict_proba([]).shape == (0, len(model.labels))


def test_device_auto_and_bad_batch_size(loaded):
    import torch

    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="batch_size"):
        loaded("softmax_plain.bin")[1].predict_proba(["x"], batch_size=0)
