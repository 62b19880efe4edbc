"""The ``thresher`` command line.

    thresher run RECIPE [--set dotted.key=value ...] [--dry-run]
    thresher validate RECIPE [--set ...]
    thresher ops [--json]

Exit codes: 0 ok, 2 bad recipe or input (nothing was written), 1 runtime failure.
"""
from __future__ import annotations

import argparse
import json
import sys
import traceback

from operators.errors import UserError

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
    p = sub.add_parser("ops", help="list every operator with its params")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def describe_operators() -> list[dict]:
    """Every registered operator: name, kind, summary, and params (type, default, description)."""
    import jobs.builtins  # noqa: F401  - registers the built-in operators
    from operators.base import Filter
    from operators.registry import all_operators

    out = []
    for name, cls in all_operators().items():
        params = []
        for pname, info in cls.Params.model_fields.items():
            annotation = getattr(info.annotation, "__name__", None) or str(info.annotation)
            default = "required" if info.is_required() else (
                info.default_factory() if info.default_factory else info.default)
            params.append({"name": pname, "type": annotation.replace("typing.", ""),
                           "default": default, "description": info.description or ""})
        doc = (cls.__doc__ or "").strip().splitlines()
        out.append({"name": name, "kind": "filter" if issubclass(cls, Filter) else "transform",
                    "module": cls.__module__, "summary": doc[0] if doc else "", "params": params})
    return out


def _print_ops(as_json: bool) -> None:
    ops = describe_operators()
    if as_json:
        print(json.dumps(ops, indent=2, default=str))
        return
    for op in ops:
        print(f"{op['name']}  [{op['kind']}]  {op['summary']}")
        for p in op["params"]:
            desc = f"  {p['description']}" if p["description"] else ""
            print(f"    {p['name']}: {p['type']} = {p['default']!r}{desc}")
        print()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "ops":
            _print_ops(args.json)
            return EXIT_OK
        import jobs.builtins  # noqa: F401
        from operators.recipe import Recipe
        from operators.runner import preflight, run

        if args.command == "validate":
            recipe = Recipe.from_yaml(args.recipe, args.overrides)
            preflight(recipe)
            print(recipe.describe())
            print("recipe is valid")
            return EXIT_OK
        run(args.recipe, overrides=args.overrides, dry_run=args.dry_run,
            use_recipe_master=not args.submitted)
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
