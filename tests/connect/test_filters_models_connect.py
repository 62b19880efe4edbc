"""The rest of the capabilities on a real Spark Connect server, each against classic
Spark on content, with no JVM access: recipes/fineweb.yaml (language ID, every Gopher,
C4 and FineWeb filter, MinHash with ``verify: true``, PII redaction, ``token_count``) on every ninth row
of the bundled corpus, and ``dfn_filter`` (``dfn_score`` and the best half kept) with the bundled tiny CLIP
shipped as an archive artifact."""
from __future__ import annotations

import textwrap

import pytest

import thresher.jobs.builtins  # noqa: F401
from thresher.operators.runner import run
from tests.browser import CHROMIUM, check_report
from tests.shipped_runs import output_overrides

from .test_recipes_connect import ROOT, _same, on_connect

pytestmark = pytest.mark.slow


def test_fineweb_on_connect_same_as_classic(connect_url, spark, ninth_corpus, tmp_path):
    recipe = ROOT / "recipes" / "fineweb.yaml"
    sets = [f"input.path={ninth_corpus}", "output.report=false"]
    # The classic run writes its report: the shipped recipe's renders in a browser.
    classic = run(recipe, spark=spark, overrides=[
        *sets, *output_overrides(tmp_path / "classic"),
        f"output.report={tmp_path / 'fineweb.html'}"], echo=lambda _s: None)
    if CHROMIUM:
        dom = check_report(tmp_path / "fineweb.html")
        assert "language_filter" in dom and "pii_redact" in dom
    ops = [s.op for s in classic.steps]
    assert {"language_filter", "c4_filter", "fineweb_filter", "minhash_dedup", "pii_redact",
            "token_count"} <= set(ops)
    dropped = {r for s in classic.steps for r in s.dropped_by_reason}
    assert len(dropped) >= 5  # the filters had something to do on these rows
    on_connect(connect_url, recipe, [*sets, *output_overrides(tmp_path / "connect"),
                                      "execution.mode=fused"], tmp_path)
    _same(tmp_path / "classic", tmp_path / "connect")


def test_dfn_score_on_connect_same_as_classic(connect_url, spark, tmp_path):
    pytest.importorskip("transformers")
    from tests.scorers.dfn.pairs import clip_pairs

    pairs = tmp_path / "pairs.parquet"
    clip_pairs(pairs)
    recipe = tmp_path / "dfn.yaml"
    recipe.write_text(textwrap.dedent(f"""
        name: dfn-connect
        input: {{format: parquet, path: {pairs}, id_column: id, text_column: caption}}
        steps:
          - dfn_filter: {{model: {ROOT / 'data' / 'models' / 'tiny_clip'}, image: image,
                          output: s, top_fraction: 0.5}}
        output: {{format: delta, path: {tmp_path}/unused, report: false}}
    """))
    run(recipe, spark=spark, overrides=output_overrides(tmp_path / "classic"), echo=lambda _s: None)
    report = on_connect(connect_url, recipe, output_overrides(tmp_path / "connect"), tmp_path)
    assert any(kind == "archive" and "tiny_clip" in name for name, kind in report["artifacts"]), \
        report["artifacts"]
    _same(tmp_path / "classic", tmp_path / "connect")


def test_web_suite_on_connect_same_as_classic(connect_url, spark, ninth_corpus, tmp_path):
    """url_filter with a list long enough to be a broadcast join, decontaminate against
    benchmark text lifted from the corpus, pii_redact and token_count with a Hugging Face
    tokenizer shipped as an artifact: the same rows, rejects and stats as classic."""
    import random

    import pandas as pd

    docs = pd.read_parquet(ninth_corpus)[["id", "text"]].head(120)
    rng = random.Random(3)
    domains = [f"spam{i}.example" for i in range(12_000)]
    docs["url"] = [f"https://{rng.choice(domains) if i % 4 == 0 else f'site{i}.org'}/p{i}"
                   for i in range(len(docs))]
    docs.to_parquet(tmp_path / "docs.parquet")
    (tmp_path / "domains.txt").write_text("\n".join(domains) + "\n")
    lifted = [" ".join(t.split()[5:40]) for t in docs["text"].iloc[1::10] if len(t.split()) > 40]
    pd.DataFrame({"text": lifted, "benchmark": "lifted"}).to_json(
        tmp_path / "bench.jsonl", orient="records", lines=True)
    tokenizer = ROOT / "data" / "models" / "tiny_lm_a" / "tokenizer.json"
    recipe = tmp_path / "web.yaml"
    recipe.write_text(textwrap.dedent(f"""
        name: web-suite
        input: {{format: parquet, path: {tmp_path / 'docs.parquet'}, id_column: id}}
        steps:
          - url_filter: {{column: url, domains_file: {tmp_path / 'domains.txt'}}}
          - decontaminate: {{benchmarks: {tmp_path / 'bench.jsonl'}, name_field: benchmark}}
          - pii_redact: {{}}
          - token_count: {{mode: hf, tokenizer: {tokenizer}}}
        output: {{format: delta, path: {tmp_path}/unused, report: false}}
    """))
    classic = run(recipe, spark=spark, overrides=output_overrides(tmp_path / "classic"),
                  echo=lambda _s: None)
    drops = {r for s in classic.steps for r in s.dropped_by_reason}
    assert {"url_filter:blocked_domain", "decontaminate:contaminated"} <= drops, drops
    on_connect(connect_url, recipe, output_overrides(tmp_path / "connect"), tmp_path)
    _same(tmp_path / "classic", tmp_path / "connect")
