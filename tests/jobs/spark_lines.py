"""What of a run's stderr is Spark's own log (tests/jobs: the quiet and verbose runs)."""
from __future__ import annotations

import re

# A line of Spark's log4j layout ("26/12/02 01:35:38 WARN Utils: ..."), or what Spark
# prints when it falls back to its own (INFO) profile.
SPARK_LINE = re.compile(r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d (TRACE|DEBUG|INFO|WARN)\b"
                        r"|Using Spark's default log4j profile|Setting default log level", re.M)


def spark_lines(text: str) -> list[str]:
    return [m.group(0) for m in SPARK_LINE.finditer(text)]


def progress_lines(stderr: str) -> list[str]:
    """The progress lines of a run whose stderr is a pipe (one plain line per step, then
    the writes), as "step 1/3 name" / "writing kept"; every other non-blank line is kept
    whole. The JVM's own "incubator modules" line (Spark's launcher always adds the
    vector module) is left out: it is not Spark's log."""
    lines = [line for line in stderr.splitlines() if line.strip()
             and not line.startswith("WARNING: Using incubator modules")]
    return [line.split(":")[1].strip() if line.startswith("thresher: ") else line for line in lines]
