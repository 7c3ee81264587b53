"""Record what a run did: the run log, and the recorder every executor hands its results to.

nbgrader writes the grades into the gradebook (on the grading worker, or, for the
``dask`` executor, on this machine when it replays a worker's execution). Right
after, the :class:`Recorder` appends the result to the run log
``.autograder/<assignment>.jsonl`` (fsynced, with a fingerprint of the submitted
files), adds it to the run's summary and tells the display. The run log is read by
the next run's plan (what is graded already), the exports and the class report.
"""
from __future__ import annotations

import errno
import json
import os
import time
from typing import Callable

from autograder.core.coursedir import Course
from autograder.core.results import Job, Result, Status, Summary
from autograder.record import faults


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
        """Append ``result``'s line, whole or not at all: a write that fails (a full disk) is undone,
        so no line is cut short and the next one lands on a line of its own; the OSError is raised."""
        data = (json.dumps(result.to_dict()) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            try:
                if os.write(fd, data) != len(data):
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path))
                os.fsync(fd)
            except OSError:
                os.ftruncate(fd, size)
                raise
        finally:
            os.close(fd)


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
        result.fingerprint, result.why, result.attempt = job.fingerprint, job.why, attempt
        result.finished, result.executor = time.time(), self.executor
        raw = f"{result.reason}\n{result.log}"
        if result.status == Status.FAILED and (reason := faults.explain(raw, self.course)):
            result.reason = reason  # an infrastructure fault, in words (the raw text stays in the log)
        if job.assignment not in self.logs:
            self.logs[job.assignment] = RunLog(self.course, job.assignment)
        try:
            self.logs[job.assignment].append(result)
        except OSError as exc:
            full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
            what = (f"the disk holding the course folder ({self.course.root}) is full" if full
                    else f"the run log cannot be written ({exc})")
            raise faults.stopped(f"{what}: {job.student}'s result of {job.assignment} could not be logged",
                                 len(self.summary.results), self.total,
                                 ("Free some space" if full else f"Make {self.logs[job.assignment].path} writable")
                                 + ", then run the same command again") from exc
        self.recorded.add(job.id)
        self.summary.results.append(result)
        if self.on_result:
            self.on_result(result, len(self.summary.results), self.total)
        if result.status == Status.FAILED and faults.disk_full(raw):  # every later submission would fail too
            raise faults.stopped(f"the disk holding the course folder ({self.course.root}) is full",
                                 sum(r.status != Status.FAILED for r in self.summary.results), self.total,
                                 "Free some space, then run the same command again")
        return True


def past_timings(course: Course, assignments: list[str]) -> dict[str, list[float]]:
    """Each assignment's seconds per graded submission in earlier runs (an empty list: none)."""
    return {assignment: RunLog(course, assignment).graded_seconds() for assignment in assignments}
