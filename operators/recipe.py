"""Recipes: the YAML that chains operators, validated completely before Spark starts.

Example::

    name: quickstart
    spark: {master: "local[*]", conf: {spark.sql.shuffle.partitions: 8}}
    input: {format: parquet, path: data/quickstart/, text_column: text, id_column: id}
    steps:
      - normalize_text: {form: NFKC}
      - word_count_filter: {min: 20, max: 100000}
      - exact_dedup: {}
    output: {format: delta, path: out/quickstart, mode: overwrite,
             rejects: out/quickstart_rejects, stats: out/quickstart_stats}

Relative local paths resolve against the current directory; ``${recipe_dir}``
expands to the recipe file's folder and ``${env:NAME}`` to an environment variable.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .base import Operator, StepContext
from .errors import RecipeError
from .models import expected_files
from .registry import get_operator
from .yamlpos import SetOrigin, line_of, load_with_lines


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SparkSpec(_Strict):
    master: str | None = Field(None, description="Spark master when thresher starts Spark itself")
    # Where the recipe runs is not what it computes: left out of model_dump, so of the
    # recipe hash (a Connect run and a classic run of one recipe share checkpoints).
    remote: str | None = Field(None, exclude=True, description="Spark Connect URL (sc://host:port): "
                               "run on that server instead of starting Spark; SPARK_REMOTE or "
                               "--remote set it too")
    app_name: str | None = None
    conf: dict[str, str | int | float | bool] = Field(default_factory=dict)


class InputSpec(_Strict):
    format: Literal["parquet", "jsonl", "csv", "text", "delta"]
    path: str
    text_column: str = "text"
    id_column: str | None = Field(None, description="unique id column; default: a content hash")
    text_unit: Literal["line", "file"] = Field("line", description="format text: one doc per line or file")
    options: dict[str, Any] = Field(default_factory=dict, description="passed to Spark's reader")
    max_doc_bytes: int = Field(
        32 * 2**20, gt=0, description="a longer text is dropped as read:too_large (its reject "
        "keeps the start); whole-file inputs of hundreds of MB otherwise exhaust executor memory")
    on_bad_file: Literal["fail", "skip"] = Field(
        "fail", description="a damaged Parquet file or a malformed JSONL line: fail the run "
        "(naming it), or skip it and count it")


class OutputSpec(_Strict):
    format: Literal["parquet", "delta"] = "parquet"
    path: str
    mode: Literal["overwrite", "append", "error"] = "error"
    rejects: str | None = None
    stats: str | None = None
    partition_by: list[str] = Field(default_factory=list)
    # Built after the outputs commit, so left out of the hash: it changes no data.
    report: bool | str = Field(True, exclude=True, description="the run report (HTML): true writes "
                               "<path>_report.html beside the output, a string names the file, "
                               "false writes none")
    # Changes only the report's histograms, not the data: out of the hash too.
    metrics_sample: int = Field(20_000, ge=0, exclude=True, description="rows of the input "
                                "whose every rule's evidence the report plots (a hash "
                                "sample; all rows below it); 0 records none")


class ExecutionSpec(_Strict):
    mode: Literal["staged", "fused"] = Field(
        "staged", description="staged: materialise and time each step; fused: one Spark plan, total time only")


class StepSpec(_Strict):
    op: str
    params: dict[str, Any] = Field(default_factory=dict)


class RecipeSpec(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str | None = None
    spark: SparkSpec = Field(default_factory=SparkSpec)
    input: InputSpec
    steps: list[StepSpec] = Field(default_factory=list)
    output: OutputSpec | None = None
    execution: ExecutionSpec = Field(default_factory=ExecutionSpec)


class Recipe:
    """A validated recipe with its operators built and bound to their steps."""

    def __init__(self, spec: RecipeSpec, operators: list[Operator], *, source: str | None = None,
                 lines: dict | None = None):
        self.spec = spec
        self.operators = operators
        self.source = source
        self._lines = lines or {}

    def where(self, *key) -> str:
        """``file:line`` of a recipe key such as ("input", "path"), for error messages."""
        if not self.source:
            return "recipe " + ".".join(map(str, key))
        line = line_of(self._lines, tuple(key))
        if isinstance(line, SetOrigin):
            return line
        return f"{self.source}:{line}" if line else self.source

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_yaml(cls, path: str | os.PathLike, overrides: list[str] | tuple[str, ...] = ()) -> "Recipe":
        """Load, override (``a.b=value``), expand paths and validate a recipe file."""
        file = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise RecipeError(f"cannot read recipe: {exc.strerror}", file=file) from None
        data, lines = load_with_lines(text, file)
        recipe_dir = str(Path(path).resolve().parent)
        return cls.from_dict(data, overrides=overrides, file=file, lines=lines, recipe_dir=recipe_dir)

    @classmethod
    def from_dict(cls, data: Any, *, overrides=(), file: str | None = None,
                  lines: dict | None = None, recipe_dir: str | None = None) -> "Recipe":
        lines = dict(lines or {})  # overrides record themselves in it
        if not isinstance(data, dict):
            raise RecipeError("a recipe must be a YAML mapping with name, input, steps, output",
                              file=file, line=line_of(lines, ()))
        data = _deep_copy(data)
        for item in overrides:
            _apply_override(data, item, file, lines)
        raw_steps = data.get("steps") or []
        if not isinstance(raw_steps, list):
            raise RecipeError("'steps' must be a list of `- operator_name: {params}` items",
                              file=file, line=line_of(lines, ("steps",)))
        data["steps"] = [_parse_step(s, i, file, lines) for i, s in enumerate(raw_steps)]
        try:
            spec = RecipeSpec.model_validate(data)
        except ValidationError as exc:
            raise _recipe_error(exc, file, lines) from None
        spec = _expand_paths(spec, recipe_dir or os.getcwd(), file, lines)
        ops: list[Operator] = []
        for i, step in enumerate(spec.steps):
            # A step may read a file an earlier step writes (preselect_train's model).
            with expected_files([path for op in ops for path in op.produces()]):
                ops.append(_build_operator(step, i, spec, file, lines))
        return cls(spec, ops, source=file, lines=lines)

    # -- identity -------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def hash(self) -> str:
        """sha256 of the validated recipe (defaults filled in): the same recipe, the same hash."""
        canonical = self.spec.model_dump(mode="json")
        canonical["steps"] = [{"op": op.name, "params": op.params.model_dump(mode="json")}
                              for op in self.operators]
        blob = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def describe(self) -> str:
        """The plan as text: input, each step with its full params, outputs."""
        s = self.spec
        out = [f"recipe {s.name} (hash {self.hash[:12]})",
               f"  input   {s.input.format} {s.input.path}  text={s.input.text_column} "
               f"id={s.input.id_column or '<content hash>'}",
               "  step 0  read (drops null/blank text as read:empty)"]
        for i, op in enumerate(self.operators, start=1):
            params = ", ".join(f"{k}={v!r}" for k, v in op.params.model_dump().items())
            out.append(f"  step {i}  {op.name}({params})")
        if s.output:
            o = s.output
            out.append(f"  output  {o.format} {o.path} mode={o.mode}")
            for label, path in (("rejects", o.rejects), ("stats", o.stats)):
                if path:
                    out.append(f"  {label:<7} {o.format} {path}")
        else:
            out.append("  output  none (DataFrames returned to the caller)")
        out.append(f"  execution {s.execution.mode}")
        return "\n".join(out)


# -- helpers ------------------------------------------------------------------------------
def _deep_copy(value):
    return json.loads(json.dumps(value, default=str)) if value is not None else value


def _parse_step(raw: Any, index: int, file, lines) -> dict:
    where = dict(file=file, line=line_of(lines, ("steps", index)), step=index + 1)
    if isinstance(raw, str):
        return {"op": raw, "params": {}}
    if not isinstance(raw, dict) or len(raw) != 1:
        raise RecipeError("each step must be one `operator_name: {params}` mapping, found "
                          f"{raw!r}", **where)
    (op, params), = raw.items()
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise RecipeError(f"params of '{op}' must be a mapping, found {params!r}", op=op, **where)
    return {"op": str(op), "params": params}


def _build_operator(step: StepSpec, index: int, spec: RecipeSpec, file, lines) -> Operator:
    base = ("steps", index)
    cls = get_operator(step.op, file=file, line=line_of(lines, base), step=index + 1)
    try:
        op = cls(**step.params)
    except ValidationError as exc:
        problems = []
        first = None
        for err in exc.errors():
            param = ".".join(str(p) for p in err["loc"]) or None
            line = line_of(lines, base + (step.op, *err["loc"]))
            message = _explain(err, cls.Params.model_fields)
            problems.append((line, param, message))
            first = first or (line, param, message)
        line, param, message = first
        more = "".join(f"\n  also {_at(ln)}, param '{p}': {m}" for ln, p, m in problems[1:])
        raise RecipeError(message + more, file=file, line=line, step=index + 1, op=step.op,
                          param=param) from None
    out = spec.output
    ctx = StepContext(text_column=spec.input.text_column, id_column=spec.input.id_column or "id",
                      step=index + 1, op_name=step.op, output_path=out.path if out else None,
                      output_format=out.format if out else None,
                      output_mode=out.mode if out else None)
    bound = op.bind(ctx)
    try:
        bound.check_placement()
    except RecipeError as exc:
        line = line_of(lines, base + ((step.op, exc.param) if exc.param else ()))
        raise RecipeError(exc.message, file=file, line=line, step=index + 1, op=step.op,
                          param=exc.param) from None
    return bound


def _explain(err: dict, fields: dict) -> str:
    if err["type"] == "extra_forbidden":
        name = str(err["loc"][-1])
        close = difflib.get_close_matches(name, list(fields), n=2)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        return f"unknown param{hint} (valid: {', '.join(fields) or 'none'})"
    found = err.get("input")
    msg = err["msg"]
    if err["type"] in ("missing",):
        return "required param is missing"
    return f"{msg}; found {found!r}" if not isinstance(found, dict) else msg


def _recipe_error(exc: ValidationError, file, lines) -> RecipeError:
    errs = exc.errors()
    parts = []
    for err in errs:
        loc = tuple(err["loc"])
        if loc[:1] == ("steps",):
            loc = loc[:2]
        parts.append((line_of(lines, loc), ".".join(map(str, loc)), _explain(err, {})
                      if err["type"] != "extra_forbidden" else f"unknown key '{loc[-1]}'"))
    line, param, message = parts[0]
    more = "".join(f"\n  also {_at(ln)}, '{p}': {m}" for ln, p, m in parts[1:])
    return RecipeError(message + more, file=file, line=line, param=param)


def _at(line) -> str:
    """``line 7``, or the ``--set`` option that gave the value."""
    return line if isinstance(line, SetOrigin) else f"line {line}"


_VAR = re.compile(r"\$\{(recipe_dir|env:[A-Za-z_][A-Za-z0-9_]*)\}")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _substitute(value: str, recipe_dir: str, where: dict) -> str:
    """``${recipe_dir}`` and ``${env:NAME}`` replaced in ``value``."""
    def sub(match):
        key = match.group(1)
        if key == "recipe_dir":
            return recipe_dir
        name = key[4:]
        if name not in os.environ:
            raise RecipeError(f"environment variable {name} is not set (used as ${{{key}}})", **where)
        return os.environ[name]

    return _VAR.sub(sub, value)


def _expand(value: str, recipe_dir: str, where: dict) -> str:
    value = _substitute(value, recipe_dir, where)
    if _SCHEME.match(value) and not value.startswith("file:"):
        return value  # hdfs:, s3a:, dbfs:, catalog names: leave to Spark
    if value.startswith("file:"):
        value = value[5:]
    return os.path.abspath(os.path.expanduser(value))


def _expand_paths(spec: RecipeSpec, recipe_dir: str, file, lines) -> RecipeSpec:
    def where(*path):
        return dict(file=file, line=line_of(lines, path), param=".".join(map(str, path)))

    inp = spec.input.model_copy(update={"path": _expand(spec.input.path, recipe_dir, where("input", "path"))})
    out = spec.output
    if out is not None:
        update = {"path": _expand(out.path, recipe_dir, where("output", "path"))}
        for key in ("rejects", "stats", "report"):
            if isinstance(getattr(out, key), str):
                update[key] = _expand(getattr(out, key), recipe_dir, where("output", key))
        out = out.model_copy(update=update)
    # Step params: variables only (a string param is not always a path; operators
    # whose params are paths resolve them).
    steps = []
    for index, step in enumerate(spec.steps):
        params = {k: _substitute(v, recipe_dir, dict(
                      file=file, line=line_of(lines, ("steps", index, step.op, k)),
                      step=index + 1, op=step.op, param=k))
                  if isinstance(v, str) else v for k, v in step.params.items()}
        steps.append(step.model_copy(update={"params": params}))
    return spec.model_copy(update={"input": inp, "output": out, "steps": steps})


def _apply_override(data: dict, item: str, file, lines: dict | None = None) -> None:
    """Apply ``dotted.key=value``. ``steps.N.param`` is the N-th step (1-based, as in error
    messages) and ``steps.OPNAME.param`` the only step running that operator.

    The value's key path is recorded in ``lines`` as coming from ``--set item``, so an
    error about it names the option rather than the recipe line it replaced.
    """
    if "=" not in item:
        raise RecipeError(f"--set expects dotted.key=value, found {item!r}", file=file)
    key, raw = item.split("=", 1)
    value = yaml.safe_load(raw) if raw != "" else ""
    parts = key.split(".")
    node: Any = data
    prefix: tuple = ()
    if parts[0] == "steps":
        if len(parts) < 3:
            raise RecipeError(f"--set {key}: use steps.N.param=value or steps.OPNAME.param=value",
                              file=file)
        steps = data.get("steps") or []
        step, op = _step_slot(steps, parts[1], key, file)
        node, parts = step[op], parts[2:]
        if parts[0] == op and len(parts) > 1:
            parts = parts[1:]
        prefix = ("steps", next(i for i, s in enumerate(steps) if s is step), op)
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[parts[-1]] = value
    if lines is not None:
        path = prefix + tuple(parts)
        # The file's lines for what this value replaced (its sub-keys too) no longer apply.
        for known in [p for p in lines if p[:len(path)] == path]:
            del lines[known]
        lines[path] = SetOrigin(f"--set {item}")


def _step_slot(steps: list, part: str, key: str, file):
    """Resolve a step selector to (the step's mapping, its op name)."""
    if part.isdigit():
        n = int(part)
        if not 1 <= n <= len(steps):
            raise RecipeError(f"--set {key}: there is no step {n} (steps are 1..{len(steps)})", file=file)
        step = steps[n - 1]
    else:
        matches = [s for s in steps if isinstance(s, dict) and part in s]
        if len(matches) != 1:
            raise RecipeError(f"--set {key}: {len(matches)} steps named '{part}'; use the step number",
                              file=file)
        step = matches[0]
    if isinstance(step, dict) and len(step) == 1:
        (op, params), = step.items()
        if params is None:
            step[op] = {}
        return step, op
    raise RecipeError(f"--set {key}: step '{part}' is not an `op: params` mapping", file=file)
