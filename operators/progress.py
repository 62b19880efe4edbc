"""Progress of a run while it works: one line per step (step i of n, Spark tasks done,
elapsed seconds).

Spark's own console progress bar is off (thresher keeps Spark's log quiet), so a long
run would otherwise show nothing until its summary. Each step's Spark jobs run under
a job group of their own; the status tracker counts the group's tasks.

Three modes, picked by ``Progress.auto`` for the CLI:

* ``live`` (stderr is a terminal): the step's line is redrawn in place every half
  second, then left as it finished;
* ``lines`` (stderr is a file or a pipe: a scheduler's log): one plain line per step
  when it ends, nothing redrawn;
* ``off`` (``--quiet``, or the ``CI`` environment variable set, or the Python API by
  default): nothing.

Spark Connect has no status tracker: its lines give the elapsed time only.

Example::

    progress = Progress.auto(spark, quiet=False)
    with progress.step(1, 3, "word_count_filter"):
        df.count()
    # stderr: "thresher: step 1/3 word_count_filter: 4 tasks, 0.8 s"
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import TextIO

from .connect import is_connect
from .errors import ThresherError

MODES = ("live", "lines", "off")
_GROUP_PROPERTIES = ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel")


@contextlib.contextmanager
def job_group(sc, group: str, description: str) -> Iterator[None]:
    """Run the block's Spark jobs under job group ``group``; the caller's own group,
    description and interrupt flag are restored after. ``sc`` None (Spark Connect, no
    SparkContext): the block just runs."""
    if sc is None:
        yield
        return
    previous = {key: sc.getLocalProperty(key) for key in _GROUP_PROPERTIES}
    sc.setJobGroup(group, description, interruptOnCancel=False)
    try:
        yield
    finally:
        for key, value in previous.items():
            sc.setLocalProperty(key, value)


class Progress:
    """Per-step progress lines on ``stream``; see the module docstring for the modes."""

    def __init__(self, spark=None, *, mode: str = "off", stream: TextIO | None = None,
                 interval: float = 0.5):
        if mode not in MODES:
            raise ThresherError(f"progress mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.mode = mode
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.sc = None if spark is None or mode == "off" or is_connect(spark) else spark.sparkContext
        self.lines: list[str] = []  # every finished step's line, in order

    @classmethod
    def auto(cls, spark, *, quiet: bool = False, stream: TextIO | None = None) -> Progress:
        """``off`` when quiet or under CI, ``live`` on a terminal, ``lines`` otherwise."""
        stream = stream if stream is not None else sys.stderr
        if quiet or os.environ.get("CI"):
            return cls(spark, mode="off", stream=stream)
        interactive = getattr(stream, "isatty", lambda: False)()
        return cls(spark, mode="live" if interactive else "lines", stream=stream)

    def step(self, index: int, total: int, name: str):
        """Run the block as step ``index`` of ``total``: its jobs are counted and shown."""
        return self.track(f"step {index}/{total} {name}")

    @contextlib.contextmanager
    def track(self, what: str) -> Iterator[None]:
        """Run the block under a job group of its own and show it as ``what``."""
        if self.mode == "off":
            yield
            return
        group = f"thresher-{uuid.uuid4().hex[:12]}"
        label = f"thresher: {what}"
        start = time.perf_counter()
        stop = threading.Event()
        drawer = None
        failed = True
        try:
            with job_group(self.sc, group, f"thresher {what}"):
                if self.mode == "live":
                    drawer = threading.Thread(target=self._redraw, args=(label, group, start, stop),
                                              daemon=True)
                    drawer.start()
                yield
            failed = False
        finally:
            stop.set()
            if drawer is not None:
                drawer.join()
            line = self._line(label, group, start, finished=True) + (" (failed)" if failed else "")
            self.lines.append(line)
            self._write(("\r\033[K" if self.mode == "live" else "") + line + "\n")

    def _redraw(self, label: str, group: str, start: float, stop: threading.Event) -> None:
        while not stop.wait(self.interval):
            self._write("\r\033[K" + self._line(label, group, start))

    def _line(self, label: str, group: str, start: float, *, finished: bool = False) -> str:
        tasks = self._tasks(group)
        shown = ""
        if tasks is not None:
            done, running = tasks
            shown = f"{done:,} tasks, " if finished else f"{done:,} tasks done, {running:,} running, "
        return f"{label}: {shown}{time.perf_counter() - start:.1f} s"

    def _tasks(self, group: str) -> tuple[int, int] | None:
        """(completed, running) tasks of the group's jobs so far; None where not known.
        Totals are not shown: a stage that reuses an earlier shuffle is listed with all
        its tasks but never runs them."""
        if self.sc is None:
            return None
        try:
            tracker = self.sc.statusTracker()
            done = running = 0
            for job in tracker.getJobIdsForGroup(group):
                info = tracker.getJobInfo(job)
                for stage_id in info.stageIds if info is not None else ():
                    stage = tracker.getStageInfo(stage_id)
                    if stage is not None:
                        done += stage.numCompletedTasks
                        running += stage.numActiveTasks
            return done, running
        except Exception:  # noqa: BLE001 - progress must never fail a run
            return None

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed pipe: progress is not worth a failed run
            pass
