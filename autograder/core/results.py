"""What grading produces: a job to grade, its result, and the summary of a run.

A :class:`Job` is one (assignment, student) submission the plan chose, with the
reason it is graded. A :class:`Result` is what happened to it, whichever executor
ran it: its :class:`Status`, per-cell scores as nbgrader recorded them, timings and
how it ran. Results cross process boundaries (grading worker, Dask task, run log)
as JSON objects: :meth:`Result.to_dict` and :meth:`Result.from_dict`.
"""
from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """How grading one submission ended (the run log and exports keep the value)."""

    GRADED = "graded"        # nbgrader recorded its grades; every notebook ran to its end
    CRASHED = "crashed"      # a kernel died; the tests before it count, the rest score zero
    TIMED_OUT = "timed_out"  # a notebook outlived --notebook-timeout; same scoring as a crash
    FAILED = "failed"        # no grade recorded (nbgrader failed, the worker died twice ...), or a
    #                          cell the grader could not score (e.g. the quiz's answer key missing)

    @classmethod
    def of(cls, value: Any) -> "Status":
        try:
            return cls(value)
        except ValueError:
            return cls.FAILED


@dataclass(frozen=True)
class Job:
    """One submission to grade, and why the plan chose it."""

    assignment: str
    student: str
    fingerprint: str = ""
    why: str = ""

    @property
    def id(self) -> str:
        return f"{self.assignment}/{self.student}"

    def message(self) -> dict[str, str]:
        """What a grading worker is sent."""
        return {"id": self.id, "assignment": self.assignment, "student": self.student}


@dataclass
class Result:
    """What happened to one submission (the same fields for every executor)."""

    assignment: str
    student: str
    status: Status = Status.FAILED
    reason: str = ""
    seconds: float = 0.0
    cells: list[dict] = field(default_factory=list)      # per graded cell: points, max_points, passed, message
    notebooks: list[dict] = field(default_factory=list)  # per notebook: how its execution ended, timings
    score: float = 0.0
    max_score: float = 0.0
    isolation: str = "unsandboxed"                       # sandboxed | unsandboxed
    worker: Any = None
    log: str = ""
    not_copied_back: list[str] = field(default_factory=list)
    # filled in when the result is recorded
    fingerprint: str = ""
    why: str = ""
    attempt: int = 0
    finished: float = 0.0
    executor: str = "local"
    # the dask executor's
    host: str | None = None
    dask_worker_pid: int | None = None
    remote_seconds: float | None = None
    queued_seconds: float | None = None
    record_seconds: float | None = None
    warm: bool | None = None
    not_sent: list[str] = field(default_factory=list)
    files_left_out: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.assignment}/{self.student}"

    @classmethod
    def failure(cls, job: Job, status: Status, reason: str, *, sandboxed: bool, seconds: float = 0.0) -> "Result":
        """A submission with no grade: its worker died, overran, or could not be reached."""
        return cls(job.assignment, job.student, status=status, reason=reason, seconds=round(seconds, 3),
                   isolation="sandboxed" if sandboxed else "unsandboxed")

    @classmethod
    def from_dict(cls, data: dict) -> "Result":
        """A result from JSON (a worker's reply, a run log line); unknown keys are ignored."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names and v is not None or k in ("assignment", "student")}
        values["status"] = Status.of(data.get("status"))
        values.setdefault("assignment", data.get("assignment", ""))
        values.setdefault("student", data.get("student", ""))
        return cls(**values)

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["status"] = self.status.value
        data["id"] = self.id
        return data


@dataclass
class Summary:
    """What a grading run did: one result per submission, plus what it did not grade and why."""

    results: list[Result] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    wall_seconds: float = 0.0
    workers: list[dict] = field(default_factory=list)
    interrupted: bool = False
    planned: list[dict] = field(default_factory=list)   # {assignment, student, reason}: why graded
    tampered: list[dict] = field(default_factory=list)  # {assignment, student, reason}: not graded
    empty: list[tuple[str, str]] = field(default_factory=list)  # (assignment, student): a folder without a notebook
    unreadable: list[dict] = field(default_factory=list)  # {assignment, student, reason}: corrupt or misnamed
    removed: list[dict] = field(default_factory=list)  # {assignment, student, action, reason}: folder gone
    executor: str = ""  # where it ran: "local (2 workers)", "dask (tcp://...: 4 workers)"

    def counts(self) -> Counter:
        return Counter(r.status.value for r in self.results)

    def isolation(self) -> Counter:
        """How many submissions ran sandboxed / unsandboxed."""
        return Counter(r.isolation for r in self.results)

    @property
    def ok(self) -> bool:
        return not self.interrupted and not self.not_graded()

    def not_graded(self) -> list[tuple[str, str, str]]:
        """(assignment, student, reason) of every submission this run was asked to grade and did
        not: it failed, its files changed outside an import or a collect, or its notebook cannot
        be read. (A folder with no notebook at all holds nothing to grade: listed, not counted,
        as stock nbgrader skips it.)"""
        return ([(r.assignment, r.student, r.reason) for r in self.results if r.status == Status.FAILED]
                + [(t["assignment"], t["student"], t["reason"]) for t in self.tampered + self.unreadable])

    def to_dict(self) -> dict:
        """The ``--summary-json`` file."""
        return {"wall_seconds": self.wall_seconds, "counts": dict(self.counts()),
                "isolation": dict(self.isolation()), "skipped": len(self.skipped),
                "interrupted": self.interrupted, "planned": self.planned, "tampered": self.tampered,
                "empty": [list(pair) for pair in self.empty], "unreadable": self.unreadable,
                "removed": self.removed,
                "not_graded": [dict(zip(("assignment", "student", "reason"), row)) for row in self.not_graded()],
                "workers": self.workers, "results": [r.to_dict() for r in self.results]}
