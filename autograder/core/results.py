"""What grading produces: a job to grade, its result, and the summary of a run.

A :class:`Job` is one (assignment, student) submission the plan chose, with the
reason it is graded. A :class:`Result` is what happened to it, whichever executor
ran it: its :class:`Status`, one :class:`CellResult` per graded cell as nbgrader
recorded it, timings and how it ran. A :class:`Verdict` is a graded test cell's
verdict from the trusted checks, with the course's :class:`Problem` list.
:func:`cell_message` is the one reading of what a failed cell told the student.
Results cross process boundaries (grading worker, Dask task, run log, trusted
process) as JSON objects, converted here only: ``to_json``/``from_json`` (``Result.to_dict``/``from_dict``).
"""
from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Mapping, Self


class _ReadBack:
    """``of(value)``: the member a stored value names; FAILED for a value no member has (an older or
    damaged run-log line is never taken for a success)."""

    @classmethod
    def of(cls, value: Any) -> Self:
        try:
            return cls(value)  # type: ignore[call-arg]
        except ValueError:
            return cls.FAILED  # type: ignore[attr-defined]


class Status(_ReadBack, StrEnum):
    """How grading one submission ended (the run log and exports keep the value)."""

    GRADED = "graded"        # nbgrader recorded its grades; every notebook ran to its end
    CRASHED = "crashed"      # a kernel died; the tests before it count, the rest score zero
    TIMED_OUT = "timed_out"  # a notebook outlived --notebook-timeout; same scoring as a crash
    FAILED = "failed"        # no grade recorded (nbgrader failed, the worker died twice ...), or a
    #                          cell the grader could not score (e.g. the quiz's answer key missing)


class CellStatus(_ReadBack, StrEnum):
    """How one graded cell ended (the self-check table and ``--json`` keep the value)."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_ATTEMPTED = "not attempted"  # the exercise is not started yet
    NOT_GRADED = "not_graded"        # the grader could not score it (instructor material missing)


@dataclass(frozen=True)
class Problem:
    """One thing a failed check asked the student to fix: its kind (the course's: ``mismatch``,
    ``answer_error``, ``check_error``, ``missing``) and the sentence the student read."""

    kind: str
    text: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Problem":
        return cls(str(data.get("kind") or ""), str(data.get("text") or ""))


def _problems(data: Any) -> list[Problem]:
    return [Problem.from_json(item) for item in data or () if isinstance(item, Mapping)]


@dataclass
class CellResult:
    """One graded cell of a submission: its score as nbgrader recorded it, and what it told the
    student when it failed (``message``; ``problems`` when the course's check listed them)."""

    notebook: str = ""
    cell: str = ""
    points: float | None = None
    max_points: float = 0.0
    status: CellStatus = CellStatus.FAILED
    message: str = ""
    autograded: bool = True
    problems: list[Problem] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status is CellStatus.PASSED

    def to_json(self) -> dict[str, Any]:
        return {"notebook": self.notebook, "cell": self.cell, "points": self.points,
                "max_points": self.max_points, "status": self.status.value, "passed": self.passed,
                "message": self.message, "autograded": self.autograded,
                "problems": [p.to_json() for p in self.problems]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "CellResult":
        """From JSON; a run log line of an earlier version has ``passed`` and no ``status``."""
        status = CellStatus.of(data["status"]) if data.get("status") else (
            CellStatus.PASSED if data.get("passed") else CellStatus.FAILED)
        points = data.get("points")
        return cls(notebook=str(data.get("notebook") or ""), cell=str(data.get("cell") or ""),
                   points=None if points is None else float(points),
                   max_points=float(data.get("max_points") or 0.0), status=status,
                   message=str(data.get("message") or ""), autograded=bool(data.get("autograded", True)),
                   problems=_problems(data.get("problems")))


@dataclass
class Verdict:
    """A graded test cell's verdict from the trusted checks: its status, the text the cell shows
    (the ✔ line, or the failure's message under ``ename``), what the cell printed before it failed,
    and the failure's problems."""

    status: CellStatus
    text: str = ""
    ename: str = ""
    stdout: str = ""
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def grader_error(cls, text: str) -> "Verdict":
        """The grader itself failed on this cell (not a verdict on the answer)."""
        return cls(CellStatus.FAILED, text, "GraderError")

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status.value, "text": self.text, "ename": self.ename, "stdout": self.stdout,
                "problems": [p.to_json() for p in self.problems]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Verdict":
        return cls(CellStatus.of(data.get("status")), str(data.get("text") or ""), str(data.get("ename") or ""),
                   str(data.get("stdout") or ""), _problems(data.get("problems")))


def _first_lines(text: str, lines: int, width: int = 300) -> str:
    from nbconvert.filters import strip_ansi

    kept = strip_ansi(text or "").strip().splitlines()[:lines]
    return "\n".join(line.rstrip()[:width] for line in kept)


def cell_message(outputs: list[Mapping[str, Any]], lines: int = 1) -> str:
    """What a failed cell told the student, from its outputs: ``ename: evalue`` of its error (the
    first ``lines`` lines, 300 characters each), else the first line it wrote to stderr (nbgrader
    gives zero to a test cell that writes there); "" when it shows neither."""
    errors = [o for o in outputs if o.get("output_type") == "error"]
    if errors:
        return _first_lines(f"{errors[-1].get('ename')}: {errors[-1].get('evalue')}", lines)
    for output in outputs:
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            text = output.get("text", "")
            return "wrote to stderr: " + _first_lines("".join(text) if isinstance(text, list) else str(text), 1)
    return ""


def error_name(outputs: list[Mapping[str, Any]]) -> str:
    """The name of the error a cell shows ("" when none)."""
    errors = [o for o in outputs if o.get("output_type") == "error"]
    return str(errors[-1].get("ename") or "") if errors else ""


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
    cells: list[CellResult] = field(default_factory=list)
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
        values["cells"] = [c if isinstance(c, CellResult) else CellResult.from_json(c) for c in data.get("cells") or ()]
        values.setdefault("assignment", data.get("assignment", ""))
        values.setdefault("student", data.get("student", ""))
        return cls(**values)

    def to_dict(self) -> dict:
        """The result as a JSON object (its cells through :meth:`CellResult.to_json`)."""
        data = dataclasses.asdict(self)
        data["status"] = self.status.value
        data["cells"] = [cell.to_json() for cell in self.cells]
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
