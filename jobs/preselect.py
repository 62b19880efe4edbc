"""``thresher preselect``: PreSelect's losses, predictive strength and selector.

    thresher preselect score --input PARQUET --models m1=PATH,m2=PATH,m3=PATH \\
        --benchmarks scores.yaml --out DIR [--sample 0.05 --block-size 1024 --stride 512 ...]
    thresher preselect train --input DIR --out selector.bin [--top 0.1 --epoch 3 ...]

``score`` runs a recipe of one ``lm_loss`` step per model and ``predictive_strength``
and writes ``DIR/scores`` (Parquet: the input columns, ``<m>_loss``, ``<m>_tokens``,
``<m>_chars``, ``<m>_bpc`` per model, ``predictive_strength`` and its ``_norm``),
``DIR/rejects`` and ``DIR/stats``. ``train`` reads ``DIR/scores`` (or any Parquet with
a score column), takes balanced positives and negatives and trains the fastText
selector (``<out>.eval.json`` beside it). Then score a pool with ``fasttext_score``
(``label: pos``) and ``select``. On a cluster::

    spark-submit [--py-files thresher.zip] jobs/preselect.py score --input ... --out DIR
"""
from __future__ import annotations

import argparse
import os
import sys

if __name__ == "__main__":  # spark-submit from a source checkout: the repo root holds the packages
    try:
        import thresher  # noqa: F401
    except ImportError:
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# CLI flag -> TrainConfig field, with its type and help (PreSelect's defaults)
_HYPER = {
    "--epoch": ("epoch", int, "passes over the data (default 3)"),
    "--lr": ("lr", float, "learning rate (default 0.1)"),
    "--word-ngrams": ("word_ngrams", int, "word n-gram length (default 2)"),
    "--dim": ("dim", int, "embedding size (default 100)"),
    "--thread": ("thread", int, "training threads (default: all cores)"),
    "--seed": ("seed", int, "seed of the held-out split and of fastText (default 0)"),
    "--valid-fraction": ("valid_fraction", float, "share of examples held out (default 0.1)"),
}


def add_parser(sub) -> None:
    p = sub.add_parser("preselect", help="PreSelect: LM losses, predictive strength, selector",
                       description="Predictive data selection: score documents by how well "
                       "several models' losses on them predict the models' benchmark ranking, "
                       "then train a fastText selector on the best vs the worst.")
    cmds = p.add_subparsers(dest="preselect_command", required=True)
    s = cmds.add_parser("score", help="per-model losses and predictive strength")
    s.add_argument("--input", required=True, help="Parquet file or folder of documents")
    s.add_argument("--models", required=True, action="append", metavar="NAME=PATH,...",
                   help="causal LM folders by name (the names of --benchmarks); repeatable")
    s.add_argument("--benchmarks", required=True, metavar="YAML",
                   help="model name: benchmark score (higher = better), >= 3 models")
    s.add_argument("--out", required=True, metavar="DIR", help="writes DIR/scores, "
                   "DIR/rejects, DIR/stats (Parquet)")
    s.add_argument("--text-column", default="text")
    s.add_argument("--id-column", help="unique id column (default: 'id' when the input has "
                   "one, else a content hash)")
    s.add_argument("--block-size", type=int, default=1024, help="tokens per window (1024)")
    s.add_argument("--stride", type=int, default=512, help="tokens between windows (512)")
    s.add_argument("--batch-size", type=int, default=8, help="windows per forward pass (8)")
    s.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    s.add_argument("--sample", type=float, default=1.0,
                   help="fraction of documents to score, by a hash of the id (1.0)")
    s.add_argument("--correlation", choices=("spearman", "kendall"),
                   help="also the correlation of BPC with benchmark score (-1 = predictive)")
    s.add_argument("--overwrite", action="store_true", help="replace earlier outputs in DIR")
    s.add_argument("--submitted", action="store_true", help=argparse.SUPPRESS)
    t = cmds.add_parser("train", help="train the fastText selector on scored documents")
    t.add_argument("--input", required=True, metavar="DIR",
                   help="`preselect score`'s --out (its scores), or a Parquet with a score")
    t.add_argument("--out", required=True, metavar="MODEL", help="fastText model to write")
    t.add_argument("--top", type=float, help="positives: this fraction of the documents "
                   "(default: every document at the maximum score)")
    t.add_argument("--score-column", default="predictive_strength")
    t.add_argument("--text-column", default="text")
    t.add_argument("--id-column", default="id")
    for flag, (dest, kind, help_) in _HYPER.items():
        t.add_argument(flag, dest=dest, type=kind, default=argparse.SUPPRESS, help=help_)
    t.add_argument("--submitted", action="store_true", help=argparse.SUPPRESS)


def parse_models(items: list[str]) -> dict[str, str]:
    """``["m1=PATH,m2=PATH", "m3=PATH"]`` -> ``{"m1": PATH, ...}``; errors name the item."""
    from thresher.operators.errors import PreSelectError

    models: dict[str, str] = {}
    for item in (part.strip() for arg in items for part in arg.split(",")):
        if not item:
            continue
        name, sep, path = item.partition("=")
        name, path = name.strip(), path.strip()
        if not sep or not name or not path:
            raise PreSelectError(f"--models: expected NAME=PATH, found {item!r}")
        if name in models:
            raise PreSelectError(f"--models: model {name!r} is given twice")
        models[name] = path
    return models


def score_recipe(args) -> dict:
    """The recipe ``preselect score`` runs, as a dict (checked by ``Recipe.from_dict``)."""
    from thresher.operators.errors import InputError
    from thresher.scorers.preselect import check_models, load_benchmarks

    models = parse_models(args.models)
    benchmarks = os.path.abspath(args.benchmarks)
    scores = load_benchmarks(benchmarks)
    check_models(scores, models, where="--models", scores_where=benchmarks)
    id_column = args.id_column
    if id_column is None:
        import pyarrow.dataset as ds

        try:
            names = ds.dataset(args.input, format="parquet").schema.names
        except (OSError, ValueError) as exc:
            raise InputError(f"--input {args.input}: cannot read it as Parquet: {exc}") from None
        id_column = "id" if "id" in names else None
    lm = dict(block_size=args.block_size, stride=args.stride, batch_size=args.batch_size,
              device=args.device, sample=args.sample)
    steps = [{"lm_loss": {"model": path, "prefix": name, **lm}} for name, path in models.items()]
    steps.append({"predictive_strength": {"benchmarks": benchmarks,
                                          **({"correlation": args.correlation}
                                             if args.correlation else {})}})
    out = os.path.abspath(args.out)
    return {"name": "preselect_score",
            "input": {"format": "parquet", "path": os.path.abspath(args.input),
                      "text_column": args.text_column, "id_column": id_column},
            "steps": steps,
            "output": {"format": "parquet", "path": os.path.join(out, "scores"),
                       "mode": "overwrite" if args.overwrite else "error",
                       "rejects": os.path.join(out, "rejects"),
                       "stats": os.path.join(out, "stats")}}


def run_score(args) -> None:
    import thresher.jobs.builtins  # noqa: F401
    from thresher.operators.recipe import Recipe
    from thresher.operators.runner import run

    recipe = Recipe.from_dict(score_recipe(args))
    run(recipe, use_recipe_master=not args.submitted)


def run_train(args) -> None:
    from pydantic import ValidationError

    from thresher.operators.errors import InputError, UserError
    from thresher.operators.session import get_or_create_session
    from thresher.scorers.preselect import balanced_examples, train_selector, training_config

    given = {dest: getattr(args, dest) for dest, *_ in _HYPER.values() if hasattr(args, dest)}
    try:
        config = training_config(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise UserError(f"preselect train: --{str(first['loc'][0]).replace('_', '-')}: "
                        f"{first['msg']}") from None
    if args.top is not None and not 0 < args.top <= 0.5:
        raise UserError(f"preselect train: --top must be in (0, 0.5], found {args.top}")
    source = os.path.abspath(args.input)
    if os.path.isdir(os.path.join(source, "scores")):
        source = os.path.join(source, "scores")
    if not os.path.exists(source):
        raise InputError(f"preselect train: --input {args.input} not found")
    spark = get_or_create_session(app_name="thresher:preselect-train")
    df = spark.read.parquet(source)
    for role, column in (("score", args.score_column), ("text", args.text_column),
                         ("id", args.id_column)):
        if column not in df.columns:
            raise InputError(f"preselect train: {source} has no {role} column '{column}' "
                             f"(columns: {', '.join(df.columns)})")
    examples = balanced_examples(df, score=args.score_column, id_column=args.id_column,
                                 text_column=args.text_column, top=args.top)
    report = train_selector(examples, args.out, config, source=source)
    ps, ev = report["preselect"], report["eval"]
    print(f"trained {args.out}: {ps['positives']} positives (score {ps['positive_scores'][0]:g}"
          f"..{ps['positive_scores'][1]:g}), {ps['negatives']} negatives (score "
          f"{ps['negative_scores'][0]:g}..{ps['negative_scores'][1]:g})")
    if ev["accuracy"] is not None:
        print(f"held-out accuracy {ev['accuracy']:.4f} on {ev['n']} examples")
    print(f"evaluation: {args.out}.eval.json")


def run(args) -> None:
    if args.preselect_command == "score":
        run_score(args)
    else:
        run_train(args)


if __name__ == "__main__":
    from thresher.jobs.cli import main

    sys.exit(main(["preselect", *sys.argv[1:], "--submitted"]))
