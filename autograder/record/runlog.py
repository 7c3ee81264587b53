"""Record what a run did: the run log, and the recorder every executor hands its results to.

nbgrader writes the grades into the gradebook (on the grading worker, or, for the
``dask`` executor, on this machine when it replays a worker's execution). Right
after, the :class:`Recorder` appends the result to the run log
``.autograder/<assignment>.jsonl`` (fsynced, with a fingerprint of the submitted
files), adds it to the run's summary and tells the display. The run log is read by
the next run's plan (what is graded already), the exports and the class report.
"""
from __future__ import annotations

import json
import os
import time
from typing import Callable

from autograder.core.coursedir import Course
from autograder.core.results import Job, Result, Status, Summary


class RunLog:
    """``.autograder/<assignment>.jsonl``: one line per graded submission, appended and fsynced."""

    def __init__(self, course: Course, assignment: str):
        self.path = course.state_dir / f"{assignment}.jsonl"

    def records(self) -> list[Result]:
        if not self.path.exists():
            return []
        records = []
        for line in self.path.read_text().splitlines():
            try:
                records.append(Result.from_dict(json.loads(line)))
            except (json.JSONDecodeError, TypeError, AttributeError):  # a line cut short by kill -9
                continue
        return records

    def latest(self) -> dict[str, Result]:
        """The last record per student."""
        return {r.student: r for r in self.records()}

    def graded_seconds(self) -> list[float]:
        """Grading time of each submission this log recorded as graded (its latest record)."""
        return [r.seconds for r in self.latest().values() if r.status == Status.GRADED and r.seconds]

    def seconds_per_submission(self) -> float | None:
        """Mean grading time of the submissions this log recorded as graded (None: none yet)."""
        times = self.graded_seconds()
        return sum(times) / len(times) if times else None

    def append(self, result: Result) -> None:
        with open(self.path, "a") as handle:
            handle.write(json.dumps(result.to_dict()) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


#: ``on_result(result, done, total)``: called as each submission is recorded.
OnResult = Callable[[Result, int, int], None]


class Recorder:
    """Where an executor's results go: the run log, the summary, the display. Each job once."""

    def __init__(self, course: Course, summary: Summary, total: int, on_result: OnResult | None = None,
                 executor: str = "local"):
        self.logs: dict[str, RunLog] = {}
        self.course = course
        self.summary = summary
        self.total = total
        self.on_result = on_result
        self.executor = executor
        self.recorded: set[str] = set()

    @property
    def done(self) -> bool:
        return len(self.summary.results) >= self.total

    def record(self, job: Job, result: Result, attempt: int) -> bool:
        """Log and show ``result`` for ``job``; False (and nothing done) if ``job`` was recorded already."""
        if job.id in self.recorded:
            return False
        self.recorded.add(job.id)
        result.fingerprint, result.why, result.attempt = job.fingerprint, job.why, attempt
        result.finished, result.executor = time.time(), self.executor
        if job.assignment not in self.logs:
            self.logs[job.assignment] = RunLog(self.course, job.assignment)
        self.logs[job.assignment].append(result)
        self.summary.results.append(result)
        if self.on_result:
            self.on_result(result, len(self.summary.results), self.total)
        return True


def past_timings(course: Course, assignments: list[str]) -> dict[str, list[float]]:
    """Each assignment's seconds per graded submission in earlier runs (an empty list: none)."""
    return {assignment: RunLog(course, assignment).graded_seconds() for assignment in assignments}
