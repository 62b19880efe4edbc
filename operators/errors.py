"""Every exception thresher raises on purpose, in one place.

Each message names where the problem is (file, line, step, param, column) and
what was expected versus found, so a user can fix a recipe without reading code.
The CLI maps `UserError` subclasses to exit code 2 and everything else to 1.
"""
from __future__ import annotations


class ThresherError(Exception):
    """Base of all thresher errors."""


class UserError(ThresherError):
    """Bad recipe or bad input: the user can fix it (CLI exit code 2)."""


class RecipeError(UserError):
    """A recipe that does not parse or validate.

    `where` is a human locator such as ``recipes/q.yaml:7, step 2 (word_count_filter), param 'min'``.
    ``line`` may be a string instead of a number: the command-line option that gave the
    value (``--set steps.2.min=abc``), which then stands where ``file:line`` would.
    """

    def __init__(self, message: str, *, file: str | None = None, line: int | str | None = None,
                 step: int | None = None, op: str | None = None, param: str | None = None):
        self.file, self.line, self.step, self.op, self.param = file, line, step, op, param
        self.message = message
        parts = []
        if isinstance(line, str):
            parts.append(line)
        elif file:
            parts.append(f"{file}:{line}" if line else file)
        if step is not None:
            parts.append(f"step {step}" + (f" ({op})" if op else ""))
        if param:
            parts.append(f"param '{param}'")
        self.where = ", ".join(parts)
        super().__init__(f"{self.where}: {message}" if self.where else message)


class UnknownOperatorError(RecipeError):
    """A step names an operator nobody registered."""


class DuplicateOperatorError(ThresherError):
    """Two operators registered under the same name (a programming error)."""


class InputError(UserError):
    """The input path, format or columns are not what the recipe says."""


class ColumnContractError(UserError):
    """A step needs a column that the input and earlier steps do not provide."""


class OutputExistsError(UserError):
    """The output exists and the recipe asked for `mode: error`."""


class MissingDependencyError(UserError):
    """Something missing on the machine (Java, an optional package)."""


class SettingError(UserError):
    """An environment setting thresher reads (``THRESHER_SPARK_LOG``) has a value it
    does not accept; the message names the variable and the accepted values."""


class ClassArchiveError(ThresherError):
    """The JVM class-data archive (operators/class_archive.py) could not be built."""


class OutputError(ThresherError):
    """Writing or committing an output failed; the previous output is intact."""


class OutputBusyError(OutputError, UserError):
    """Another run holds the output's write lock; the message names it (run, process,
    host, since when) and what to do if that run is dead."""


class DeltaError(OutputError):
    """A Delta table could not be read or committed."""


class ConvergenceError(ThresherError):
    """An iterative Spark algorithm (connected components) ran out of iterations.

    ``iterations`` is how many rounds ran; raise the limit (or look for a
    pathological input) and run again.
    """

    def __init__(self, message: str, *, iterations: int):
        self.iterations = iterations
        super().__init__(message)


class ContainmentError(ThresherError):
    """Table containment (dedup/containment) failed while running (CLI exit code 1)."""


class ContainmentInputError(ContainmentError, UserError):
    """Bad containment sources, options or output folder: the user can fix it (exit code 2)."""


class TableReadError(ContainmentError):
    """One table of a lake cannot be read (corrupt file, mixed schemas, unsupported format).

    The containment job catches it and lists the table in ``skipped.json`` with
    ``reason``; the run goes on with the other tables.
    """

    def __init__(self, message: str, *, table: str):
        self.table = table
        super().__init__(f"{table}: {message}")


class ModelFileError(UserError):
    """A model file (a fastText ``.bin`` / ``.ftz``) or model directory (a CLIP: config,
    weights, tokenizer) is missing, unreadable, corrupt or of a kind thresher cannot
    score with; the message names the file and what was found."""

    def __init__(self, message: str, *, path: str):
        self.path = path
        super().__init__(f"{path}: {message}")


class PreSelectError(UserError):
    """PreSelect's inputs do not fit together: a model with a benchmark score but no
    losses (or the other way round), fewer than 3 models, benchmark scores that are not
    numbers, or nothing to train a selector on; the message names the model or file."""


class ConnectUnsupportedError(UserError):
    """A Spark Connect session (no JVM on the driver: Databricks serverless, shared
    clusters, Databricks Connect) cannot do what was asked; the message names the
    step, option or path and the way round it (classic Spark, or a local path)."""


class ReportError(UserError):
    """A run report cannot be built: its stats table is missing or not a thresher stats
    table; the message names the path and what was found."""
