"""TorchFastText against the fastText library: predict(k=-1) probabilities, label by label."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

fasttext = pytest.importorskip("fasttext")  # the reference the tests compare with
pytest.importorskip("torch")

from .conftest import ALL_MODELS, library_proba

from scorers.fasttext import TorchFastText, resolve_device  # noqa: E402
from scorers.fasttext.heads import sigmoid_table  # noqa: E402

TOL = 1e-5  # the bound; observed differences are float32 rounding (< 3e-7)


@pytest.fixture(scope="module")
def loaded(model_dir):
    """name -> (fastText library model, TorchFastText on the CPU)."""
    cache = {}

    def get(name):
        if name not in cache:
            path = str(model_dir / name)
            cache[name] = (fasttext.load_model(path), TorchFastText.from_file(path, device="cpu"))
        return cache[name]

    return get


@pytest.mark.parametrize("name", ALL_MODELS)
def test_predict_proba_equals_library(loaded, texts, name):
    lib, model = loaded(name)
    assert model.labels == list(lib.labels)
    ours = model.predict_proba(texts)
    theirs = np.array([library_proba(lib, model.labels, t) for t in texts])
    assert ours.shape == (len(texts), len(lib.labels))
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    diff = np.nan_to_num(np.abs(ours - theirs))
    worst = int(diff.max(axis=1).argmax())
    assert diff.max() <= TOL, (name, texts[worst][:80], ours[worst], theirs[worst])


@pytest.mark.parametrize("name", ALL_MODELS)
def test_hidden_vector_equals_library_sentence_vector(loaded, texts, name):
    """The EmbeddingBag mean is fastText's averaged input rows (get_sentence_vector)."""
    lib, model = loaded(name)
    ids, offsets = model.tokenizer.ids(texts)
    import torch

    hidden = model.embedding(torch.from_numpy(ids.astype(np.int64)),
                             torch.from_numpy(offsets)).numpy()
    theirs = np.array([lib.get_sentence_vector(t.replace("\n", " ")) for t in texts])
    np.testing.assert_allclose(hidden, theirs, rtol=1e-5, atol=1e-6)


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
