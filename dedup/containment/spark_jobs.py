"""Running the content stage's Spark actions under a job group, and measuring what they read.

Bytes read are the ``inputBytes`` Spark's status store records for the group's
stages (what the scans actually read, after column pruning), summed after each
action so that none ages out of the store. Example::

    with JobGroup(spark, "thresher-containment-sample") as group:
        df.collect()
        group.tally()
    group.input_bytes
"""
from __future__ import annotations

import uuid

from thresher.operators.progress import job_group


class JobGroup:
    """A Spark job group for one stage; ``tally()`` after actions, ``input_bytes`` at the end."""

    def __init__(self, spark, name: str):
        from thresher.operators.connect import is_connect

        # Spark Connect has no SparkContext (job groups, status store): the actions run
        # the same, only the bytes they read are not measured (input_bytes None).
        self.sc = None if is_connect(spark) else spark.sparkContext
        if self.sc is None:
            from thresher.operators.connect import note
            note(spark, "containment: bytes read by Spark scans are not measured on Spark Connect "
                        "(no status store): stages.json has null bytes_read for them")
        self.id = f"{name}-{uuid.uuid4().hex[:8]}"
        self.input_bytes: int | None = 0 if self.sc is not None else None
        self._counted: set[int] = set()
        self._group = job_group(self.sc, self.id, "thresher containment")

    def __enter__(self) -> JobGroup:
        self._group.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.tally()
        finally:
            self._group.__exit__(*exc)

    def tally(self) -> None:
        """Add the input bytes of the group's jobs finished since the last tally."""
        if self.input_bytes is None:
            return
        try:
            store = self.sc._jsc.sc().statusStore()
            tracker = self.sc.statusTracker()
            for job in tracker.getJobIdsForGroup(self.id):
                info = tracker.getJobInfo(job)
                if job in self._counted or info is None or info.status not in ("SUCCEEDED", "FAILED"):
                    continue
                self._counted.add(job)
                for stage in info.stageIds:
                    try:
                        self.input_bytes += int(store.lastStageAttempt(stage).inputBytes())
                    except Exception:  # noqa: BLE001 - a skipped stage has no attempt
                        continue
        except Exception:  # noqa: BLE001 - Spark Connect or another store: not measurable
            self.input_bytes = None
