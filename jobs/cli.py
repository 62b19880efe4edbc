"""The ``thresher`` command line.

    thresher run RECIPE [--set dotted.key=value ...] [--dry-run] [--quiet]
    thresher validate RECIPE [--set ...]
    thresher ops [--json]
    thresher report RUN_OUTPUT_OR_STATS [--out report.html] [--text-column text] [--id-column id]
    thresher containment SOURCE... --out DIR [--sample-rows N] [--verify exact|sample] [--multiset]
                         [--sample-above BYTES] [--no-page-headers]
                         [--plan [--access-log CSV] [--max-rebuild-seconds S] [--allow-chains]]
    thresher fasttext-train --input PARQUET --out MODEL [--text-column --label-column ...]
    thresher preselect score --input PARQUET --models m1=PATH,... --benchmarks YAML --out DIR
    thresher preselect train --input DIR --out MODEL [--top F ...]

Every command takes ``--verbose`` (before or after its name): Spark's own log at
INFO, as ``THRESHER_SPARK_LOG=INFO`` does; without either it is quiet (ERROR).

Exit codes: 0 ok, 2 bad recipe or input (nothing was written), 1 runtime failure.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import traceback

from thresher.jobs import fasttext_train, preselect
from thresher.operators.errors import UserError

EXIT_OK, EXIT_RUNTIME, EXIT_USER = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="thresher", description="Spark-native data curation recipes.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_ in (("run", "run a recipe"), ("validate", "validate a recipe; start no Spark")):
        p = sub.add_parser(name, help=help_)
        p.add_argument("recipe", help="recipe YAML file")
        p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                       help="override a recipe value, e.g. output.mode=overwrite or steps.2.min=30")
        if name == "run":
            p.add_argument("--dry-run", action="store_true",
                           help="validate and print the plan; start no Spark job")
            p.add_argument("--submitted", action="store_true", help=argparse.SUPPRESS)
            p.add_argument("--quiet", action="store_true",
                           help="no progress lines while the run works (also off when CI is set)")
            p.add_argument("--remote", metavar="sc://HOST:PORT",
                           help="run on this Spark Connect server (default: spark.remote in "
                                "the recipe, else SPARK_REMOTE, else local Spark)")
    p = sub.add_parser("ops", help="list every operator with its params")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("report", help="write the HTML report of a finished run")
    p.add_argument("path", metavar="RUN_OUTPUT_OR_STATS",
                   help="the run's kept output, or its _stats or _rejects table; or a "
                   "containment output folder (its report.html is written again)")
    p.add_argument("--out", metavar="FILE", help="default: <output>_report.html beside the output")
    p.add_argument("--text-column", default="text")
    p.add_argument("--id-column", default="id")
    _containment_parser(sub)
    fasttext_train.add_parser(sub)
    preselect.add_parser(sub)
    _add_verbose(parser)
    return parser


def _add_verbose(parser: argparse.ArgumentParser) -> None:
    """``--verbose`` on this parser and every subcommand's, so it works in any position.

    SUPPRESS as the default: a subcommand's own default would otherwise overwrite a
    ``--verbose`` given before the subcommand's name.
    """
    parser.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="show Spark's own log (INFO; or the level in THRESHER_SPARK_LOG)")
    for action in parser._actions:  # noqa: SLF001 - argparse lists subcommands only here
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for child in dict.fromkeys(action.choices.values()):
                _add_verbose(child)


def _containment_parser(sub) -> None:
    p = sub.add_parser("containment", help="find tables whose rows are contained in another table's",
                       description="Table containment (R2D2): schema graph, metadata statistics, "
                       "sampled content test, exact verification. Writes edges.parquet, stages.json, "
                       "skipped.json, tables.json, graph.svg and report.html (the page to look at) to --out.")
    p.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="folder, file or glob of Parquet datasets/files, Delta tables, CSV files; "
                   "or Spark catalog tables: catalog:DB.* or catalog:DB.TABLE")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (new, empty, or a "
                   "previous containment output, which is replaced)")
    p.add_argument("--sample-rows", type=int, default=64, metavar="N",
                   help="about this many child rows looked up in the parent by the sample test "
                   "(default 64)")
    p.add_argument("--verify", choices=("exact", "sample"), default="exact",
                   help="exact: verify every pair on full row values (default); sample: report "
                   "the survivors of the sample test as probable")
    p.add_argument("--sample-above", dest="sample_above_bytes", type=int, default=256 * 2**20,
                   metavar="BYTES", help="pairs whose two tables hold at least this much data take "
                   "the sample test before exact verification; smaller ones go straight to it "
                   "(default 256 MiB; 0: every pair)")
    p.add_argument("--no-page-headers", dest="page_headers", action="store_false",
                   help="read only Parquet footers and Delta logs, not the page headers whose "
                   "dictionary sizes bound columns' distinct values for stage 2")
    p.add_argument("--multiset", action="store_true", help="count duplicate rows")
    p.add_argument("--seed", type=int, default=0, help="salt of the row hash (which rows are sampled)")
    p.add_argument("--csv-option", dest="csv_options", action="append", default=[],
                   metavar="KEY=VALUE", help="extra Spark CSV reader option, e.g. sep=;")
    p.add_argument("--stats-cache", metavar="DIR", help="cache of CSV statistics (default: a hidden "
                   "folder beside --out)")
    g = p.add_argument_group("deletion plan (advice only: nothing is deleted)")
    g.add_argument("--plan", action="store_true", help="write plan.json: which contained tables "
                   "to delete and how to rebuild each from its parent")
    g.add_argument("--access-log", metavar="CSV", help="reads a month per table (header "
                   "table,reads_per_month); default: 1 for every table")
    g.add_argument("--max-rebuild-seconds", type=float, metavar="S", help="longest acceptable rebuild")
    g.add_argument("--allow-chains", action="store_true", help="rebuild from a deleted parent")
    g.add_argument("--storage-cost", type=float, metavar="PRICE", help="per GB a month (default 0.023)")
    g.add_argument("--compute-cost", type=float, metavar="PRICE", help="per hour of rebuild (default 2.0)")
    g.add_argument("--scan-rate", type=float, metavar="BYTES_PER_S",
                   help="rebuild scan rate (default: measured in this run)")
    p.add_argument("--submitted", action="store_true", help=argparse.SUPPRESS)


def _plan_options(args) -> dict | None:
    if not args.plan:
        return None
    given = {"max_rebuild_seconds": args.max_rebuild_seconds, "allow_chains": args.allow_chains,
             "storage_cost_gb_month": args.storage_cost, "compute_cost_hour": args.compute_cost,
             "scan_bytes_per_second": args.scan_rate}
    return {k: v for k, v in given.items() if v is not None}


def _run_containment(args) -> None:
    from thresher.dedup.containment import find_containment
    from thresher.operators.errors import ContainmentInputError

    csv_options = {}
    for item in args.csv_options:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ContainmentInputError(f"--csv-option {item!r}: expected KEY=VALUE")
        csv_options[key] = value
    result = find_containment(args.sources, out=args.out, sample_rows=args.sample_rows,
                              verify=args.verify, multiset=args.multiset, seed=args.seed,
                              sample_above_bytes=args.sample_above_bytes, page_headers=args.page_headers,
                              csv_options=csv_options, stats_cache=args.stats_cache,
                              plan=_plan_options(args), access_log=args.access_log)
    print(result.summary())


def type_name(annotation) -> str:
    """A param's type as a recipe author reads it: ``Literal['softmax', 'ova']``,
    ``Optional[int]``, ``list[str]``, ``str | dict[str, float]``."""
    import types
    import typing

    if annotation is type(None):
        return "None"
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return f"Literal[{', '.join(repr(a) for a in args)}]"
    if origin is typing.Union or origin is types.UnionType:
        rest = [a for a in args if a is not type(None)]
        inner = " | ".join(type_name(a) for a in rest)
        return f"Optional[{inner}]" if len(rest) < len(args) else inner
    if origin is not None:
        name = getattr(origin, "__name__", None) or str(origin).replace("typing.", "")
        return f"{name}[{', '.join(type_name(a) for a in args)}]" if args else name
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


def summary_line(doc: str | None) -> str:
    """The first sentence of a docstring's first paragraph, on one line."""
    paragraph = " ".join((doc or "").strip().split("\n\n", 1)[0].split())
    end = paragraph.find(". ")
    return paragraph[:end + 1] if end >= 0 else paragraph


def describe_operators() -> list[dict]:
    """Every registered operator: name, kind, summary, and params (type, default or
    required, description)."""
    import thresher.jobs.builtins  # noqa: F401  - registers the built-in operators
    from thresher.operators.base import Filter
    from thresher.operators.registry import all_operators

    out = []
    for name, cls in all_operators().items():
        params = []
        for pname, info in cls.Params.model_fields.items():
            required = info.is_required()
            default = None if required else (
                info.default_factory() if info.default_factory else info.default)
            params.append({"name": pname, "type": type_name(info.annotation), "required": required,
                           "default": default, "description": info.description or ""})
        out.append({"name": name, "kind": "filter" if issubclass(cls, Filter) else "transform",
                    "module": cls.__module__, "summary": summary_line(cls.__doc__), "params": params})
    return out


def format_param(param: dict) -> str:
    """One line of ``thresher ops``: ``name: type = default`` or ``name: type (required)``."""
    value = " (required)" if param["required"] else f" = {param['default']!r}"
    desc = f"  {param['description']}" if param["description"] else ""
    return f"{param['name']}: {param['type']}{value}{desc}"


def _print_ops(as_json: bool) -> None:
    ops = describe_operators()
    if as_json:
        print(json.dumps(ops, indent=2, default=str))
        return
    for op in ops:
        print(f"{op['name']}  [{op['kind']}]  {op['summary']}")
        for p in op["params"]:
            print(f"    {format_param(p)}")
        print()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if getattr(args, "verbose", False):
        from thresher.operators.session import SPARK_LOG_ENV

        # Before any JVM starts: its log configuration reads the level from here.
        # A level the user set (DEBUG, say) is more specific than --verbose.
        os.environ.setdefault(SPARK_LOG_ENV, "INFO")
    try:
        if args.command == "ops":
            _print_ops(args.json)
            return EXIT_OK
        if args.command == "containment":
            _run_containment(args)
            return EXIT_OK
        if args.command == "report":
            from thresher.operators.report import report_command

            print("report: " + report_command(args.path, args.out, text_column=args.text_column,
                                              id_column=args.id_column))
            return EXIT_OK
        if args.command == "fasttext-train":
            fasttext_train.run(args)
            return EXIT_OK
        if args.command == "preselect":
            preselect.run(args)
            return EXIT_OK
        import thresher.jobs.builtins  # noqa: F401
        from thresher.operators.recipe import Recipe
        from thresher.operators.runner import preflight, run

        if args.command == "validate":
            recipe = Recipe.from_yaml(args.recipe, args.overrides)
            preflight(recipe)
            print(recipe.describe())
            print("recipe is valid")
            return EXIT_OK
        overrides = list(args.overrides) + ([f"spark.remote={args.remote}"] if args.remote else [])
        run(args.recipe, overrides=overrides, dry_run=args.dry_run,
            use_recipe_master=not args.submitted, progress=None if args.quiet else "auto")
        return EXIT_OK
    except UserError as exc:
        print(f"thresher: error: {exc}", file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:
        print("thresher: interrupted; earlier outputs are intact", file=sys.stderr)
        return EXIT_RUNTIME
    except Exception as exc:  # noqa: BLE001 - the CLI's last line of defence
        traceback.print_exc()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"thresher: runtime failure ({type(exc).__name__}): {first}\n"
              "earlier outputs are intact; nothing from this run was committed", file=sys.stderr)
        return EXIT_RUNTIME


if __name__ == "__main__":
    sys.exit(main())
