"""Gradebook writes in batches: nbgrader's autograde records into a scratch SQLite gradebook,
and what it recorded goes into the course's gradebook a batch of submissions per transaction.

nbgrader's autograde of one submission opens about ten gradebook sessions and commits once
per graded cell: fine on a local SQLite file, thousands of round trips for a class on a
server gradebook (PostgreSQL). So it runs against a :class:`Scratch` SQLite gradebook holding
the course's assignment records (:func:`copy_assignments`) and, for the submission it grades,
the course's due date, the student's extension, manual grades and extra credit
(:func:`course_state`), so that late penalties and manual grading come out as nbgrader's.
What it recorded there (:meth:`Scratch.recorded`: the submission's timestamp, each notebook's
late penalty and crash flag, each grade's ``auto_score`` and ``needs_manual_grade``, each
comment's ``auto_comment``) is written into the course's gradebook for a whole batch of
submissions in one session and one transaction (:func:`write_batch`).

The ``dask`` executor records every submission this way on the instructor's machine
(:mod:`autograder.executors.replay`); the ``local`` executor does when the course's gradebook
is a server database (:class:`Batches`): each grading worker then autogrades against a
scratch gradebook of its own. Everything here crosses processes as JSON.
"""
from __future__ import annotations

import contextlib
import shutil
import time
import warnings
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, TypeVar

from autograder.record import faults

#: Tables of the students and what they submitted; every other table holds the assignments' records.
SUBMISSION_TABLES = {"student", "submitted_assignment", "submitted_notebook", "grade", "comment"}

Pair = tuple[str, str]  # (assignment, student)
T = TypeVar("T")
#: Seconds a run waits for a gradebook server that closed its connection (a restart takes a few).
SERVER_WAIT = 60.0


def is_server(db_url: str) -> bool:
    """Whether a gradebook URL names a database server (PostgreSQL, MySQL ...) rather than SQLite."""
    return not db_url.startswith("sqlite")


# -- values as JSON ---------------------------------------------------------------------
def _when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _at(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _span(value: timedelta | None) -> list[int] | None:
    return None if value is None else [value.days, value.seconds, value.microseconds]


def _delta(value: list[int] | None) -> timedelta | None:
    return None if value is None else timedelta(days=value[0], seconds=value[1], microseconds=value[2])


# -- a server that restarts -----------------------------------------------------------------
class ServerGone(faults.GradingStopped):
    """The gradebook server did not come back within the wait: grading stops (what is logged is saved)."""


def on_server(gb, work: Callable[[], T], wait: float = SERVER_WAIT) -> T:
    """``work()``: reads or one transaction on the server gradebook ``gb``. If the server drops the
    connection (a restart, a failover), roll back, say so, and run it again once the server answers,
    for up to ``wait`` seconds; then :class:`ServerGone`. A SQLite gradebook's errors are raised as they are."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    lost = 0.0
    while True:
        try:
            done = work()
        except DBAPIError as exc:
            with contextlib.suppress(Exception):
                gb.db.rollback()
            if gb.engine.url.get_backend_name() == "sqlite" or not (
                    exc.connection_invalidated or isinstance(exc, OperationalError)):
                raise
            name = gb.engine.url.render_as_string(hide_password=True)
            why = str(exc.orig or exc).strip().splitlines()[0][:200] if str(exc.orig or exc).strip() else type(exc).__name__
            if not lost:
                lost = time.monotonic()
                faults.notice(f"lost the connection to the gradebook server {name} ({why}); waiting up to "
                              f"{wait:.0f} s for it to come back (a restart), then the run goes on")
            if time.monotonic() - lost >= wait:
                raise ServerGone(
                    f"the gradebook server {name} has not answered for {wait:.0f} s ({why}). Grading stopped: "
                    "every submission the run log lists as graded is saved in it, the others are not. Run the "
                    "same command again once the server is back: it grades every submission not saved, and "
                    "nothing saved twice") from exc
            time.sleep(0.5)
            continue
        if lost:
            faults.notice(f"the gradebook server is back after {time.monotonic() - lost:.0f} s: "
                          "the run goes on, nothing was lost")
        return done


# -- the scratch gradebook ----------------------------------------------------------------
def copy_assignments(gb, path: Path) -> str:
    """A new SQLite gradebook at ``path`` holding the assignment records of the gradebook ``gb``
    (course, assignments, notebooks, cells, the schema version) and no student; its URL.
    A few reads of ``gb``, no write."""
    from nbgrader.api import Base
    from sqlalchemy import create_engine, text

    try:
        version = gb.db.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001
        gb.db.rollback()
        version = None
    tables = [t for t in Base.metadata.sorted_tables if t.name not in SUBMISSION_TABLES]
    rows = {t.name: [dict(r._mapping) for r in gb.db.execute(t.select())] for t in tables}
    url = "sqlite:///" + str(path)
    engine = create_engine(url)
    try:
        Base.metadata.create_all(engine)
        with engine.begin() as into:
            into.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            if version:
                into.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": version})
            for table in tables:
                if rows[table.name]:
                    into.execute(table.insert(), rows[table.name])
    finally:
        engine.dispose()
    return url


def course_state(gb, pairs: list[Pair]) -> dict[Pair, dict]:
    """From the course's gradebook ``gb``, for each (assignment, student): the assignment's due
    date and, if the gradebook holds the submission, the student's extension and the manual grades
    and extra credit given (they decide late penalties and manual grading). A few queries."""
    from nbgrader.api import Assignment

    assignments = sorted({a for a, _ in pairs})
    due = {a.name: _when(a.duedate) for a in gb.db.query(Assignment).filter(Assignment.name.in_(assignments))}
    state: dict[Pair, dict] = {}
    for assignment in assignments:
        students = sorted({s for a, s in pairs if a == assignment})
        found = _submissions(gb, assignment, students)
        for student in students:
            sub = found.get(student)
            state[(assignment, student)] = {"due": due.get(assignment), "submission": None if sub is None else {
                "extension": _span(sub.extension),
                "grades": [[nb.name, g.cell.name, g.manual_score, g.extra_credit]
                           for nb in sub.notebooks for g in nb.grades
                           if g.manual_score is not None or g.extra_credit is not None]}}
    return state


class Scratch:
    """A scratch SQLite gradebook (made by :func:`copy_assignments` or ``generate_assignment``)
    that nbgrader's autograde records into, one submission at a time."""

    def __init__(self, url: str, course_id: str):
        self.url = url
        self.course_id = course_id
        self._due: dict[str, Any] = {}

    def prepare(self, assignment: str, student: str, state: dict) -> None:
        """The scratch as the course's gradebook for this submission (``state``: from
        :func:`course_state`): due date, extension, manual grades and extra credit, nothing
        else from an earlier grading."""
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.url, self.course_id) as scratch:
            due = _at(state.get("due"))
            if self._due.get(assignment, "?") != due:
                scratch.update_or_create_assignment(assignment, duedate=due)
                self._due[assignment] = due
            scratch.update_or_create_student(student)
            try:
                scratch.remove_submission(assignment, student)
            except MissingEntry:
                pass
            given = state.get("submission")
            if given is None:
                return
            with warnings.catch_warnings():  # nbgrader's add_submission makes SQLAlchemy warn (as in stock use)
                warnings.simplefilter("ignore")
                submission = scratch.add_submission(assignment, student, extension=_delta(given["extension"]))
            manual = {(nb, cell): (score, extra) for nb, cell, score, extra in given["grades"]}
            for nb in submission.notebooks:
                for grade in nb.grades:
                    if (nb.name, grade.cell.name) in manual:
                        grade.manual_score, grade.extra_credit = manual[(nb.name, grade.cell.name)]
            scratch.db.commit()

    def recorded(self, pairs: list[Pair]) -> dict[Pair, dict]:
        """What nbgrader's autograde recorded here for each (assignment, student) found:
        the columns it writes, and the crash flag."""
        from nbgrader.api import Gradebook

        out: dict[Pair, dict] = {}
        with Gradebook(self.url, self.course_id) as scratch:
            for assignment in sorted({a for a, _ in pairs}):
                students = sorted({s for a, s in pairs if a == assignment})
                for student, sub in _submissions(scratch, assignment, students).items():
                    out[(assignment, student)] = {
                        "assignment": assignment, "student": student, "timestamp": _when(sub.timestamp),
                        "notebooks": [{"name": nb.name, "late_penalty": nb.late_submission_penalty,
                                       "flagged": nb.flagged,
                                       "grades": [[g.cell.name, g.auto_score, g.needs_manual_grade] for g in nb.grades],
                                       "comments": [[c.cell.name, c.auto_comment] for c in nb.comments]}
                                      for nb in sub.notebooks]}
        return out


def write_batch(gb, records: list[dict]) -> None:
    """Write ``records`` (:meth:`Scratch.recorded`) into the gradebook ``gb``: one transaction."""
    from nbgrader.api import Assignment, Student

    if not records:
        return
    try:
        students = {r["student"] for r in records}
        known = {s.id for s in gb.db.query(Student).filter(Student.id.in_(students))}
        for student in sorted(students - known):
            gb.db.add(Student(id=student))  # as autograde's update_or_create_student(student_id)
        for assignment in sorted({r["assignment"] for r in records}):
            batch = [r for r in records if r["assignment"] == assignment]
            target = _submissions(gb, assignment, [r["student"] for r in batch])
            record = gb.db.query(Assignment).filter(Assignment.name == assignment).one()
            for new in batch:
                old = target.get(new["student"]) or _new_submission(gb, record, new["student"])
                if new["timestamp"] is not None:
                    old.timestamp = _at(new["timestamp"])
                notebooks = {nb.name: nb for nb in old.notebooks}
                for nb in new["notebooks"]:
                    mine = notebooks[nb["name"]]
                    mine.late_submission_penalty = nb["late_penalty"]
                    mine.flagged = nb["flagged"]
                    grades = {g.cell.name: g for g in mine.grades}
                    for cell, auto_score, needs_manual_grade in nb["grades"]:  # (the scratch had the manual grades)
                        grades[cell].auto_score, grades[cell].needs_manual_grade = auto_score, needs_manual_grade
                    comments = {c.cell.name: c for c in mine.comments}
                    for cell, auto_comment in nb["comments"]:
                        comments[cell].auto_comment = auto_comment
        gb.db.commit()
    except Exception:
        gb.db.rollback()
        raise


def _submissions(gb, assignment: str, students: list[str]) -> dict:
    """student -> SubmittedAssignment, with its notebooks, grades, comments and their cells (a few queries)."""
    from nbgrader.api import Assignment, Comment, Grade, SubmittedAssignment, SubmittedNotebook
    from sqlalchemy.orm import selectinload

    notebooks = selectinload(SubmittedAssignment.notebooks)
    rows = (gb.db.query(SubmittedAssignment).join(Assignment)
            .filter(Assignment.name == assignment, SubmittedAssignment.student_id.in_(students))
            .options(notebooks.joinedload(SubmittedNotebook.notebook),
                     notebooks.selectinload(SubmittedNotebook.grades).joinedload(Grade.cell),
                     notebooks.selectinload(SubmittedNotebook.comments).joinedload(Comment.cell))
            .all())
    return {row.student_id: row for row in rows}


def _new_submission(gb, assignment, student: str):
    """A submission mirroring the assignment's structure, as nbgrader's ``Gradebook.add_submission``
    makes it, without committing (the batch commits once)."""
    from nbgrader.api import Comment, Grade, SubmittedAssignment, SubmittedNotebook

    with gb.db.no_autoflush:  # added as a whole, once built (as nbgrader does)
        submission = SubmittedAssignment(assignment=assignment, student_id=student)
        for notebook in assignment.notebooks:
            nb = SubmittedNotebook(notebook=notebook, assignment=submission)
            for grade_cell in notebook.grade_cells:
                Grade(cell=grade_cell, notebook=nb)
            for solution_cell in notebook.solution_cells:
                Comment(cell=solution_cell, notebook=nb)
            for task_cell in notebook.task_cells:
                Comment(cell=task_cell, notebook=nb)
                Grade(cell=task_cell, notebook=nb)
        gb.db.add(submission)
    return submission


SCRATCH_PREFIX = "gradebook-scratch-"


def scratch_folder(course) -> Path:
    """``.autograder/gradebook-scratch-<pid>/`` in the course, for this run's template; the
    folders of runs that are gone (killed with ``kill -9``) are removed first."""
    from autograder.core.pidfolders import owned_folder

    return owned_folder(course.state_dir, SCRATCH_PREFIX)


class Batches:
    """The ``local`` executor's writes into a server gradebook, a batch per transaction.

    One session on the course's gradebook for the whole run. Each job sent to a worker carries
    :meth:`job_gradebook` (the scratch template every worker copies, and this submission's
    :func:`course_state`, read for several upcoming jobs at once); each result carries what the
    worker's scratch recorded. :meth:`add` holds results until ``size`` are waiting or the oldest
    has waited ``seconds``; :meth:`flush` commits them in one transaction, then hands them to
    ``record`` (the run log): a run killed before the commit has neither, so the next run grades
    those submissions again.
    """

    def __init__(self, course, *, size: int = 32, seconds: float = 2.0, read_ahead: int = 64):
        self.course = course
        self.size, self.seconds, self.read_ahead = size, seconds, read_ahead
        self.gb = course.gradebook()
        self.tmp = scratch_folder(course)
        try:
            copy_assignments(self.gb, self.tmp / "template.db")
            self.gb.db.rollback()  # end the read (no transaction left open on the server)
        except BaseException:
            self.close()
            raise
        self.state: dict[Pair, dict] = {}
        self.pending: list[tuple[Any, Any, dict | None, int]] = []
        self.wait = SERVER_WAIT  # for a server that drops the connection (0 once it did not come back)
        self.since = 0.0

    def job_gradebook(self, job, upcoming: list) -> dict:
        """What a worker needs to grade ``job`` against its scratch gradebook."""
        pair = (job.assignment, job.student)
        if pair not in self.state:
            wanted = [pair] + [(j.assignment, j.student) for j in upcoming
                               if (j.assignment, j.student) not in self.state][:self.read_ahead - 1]
            try:
                self.state.update(on_server(self.gb, lambda: course_state(self.gb, wanted), self.wait))
            except ServerGone:
                self.wait = 0.0  # (the batch flushed as the run stops does not wait again)
                raise
            self.gb.db.rollback()
        return {"template": str(self.tmp / "template.db"), "course_id": self.course.course_id,
                "state": self.state.pop(pair)}

    def add(self, job, result, rows: dict | None, attempt: int) -> None:
        """Hold ``result`` (and the worker's ``rows``, None when it recorded nothing) for the next batch."""
        if not self.pending:
            self.since = time.monotonic()
        self.pending.append((job, result, rows, attempt))

    def due(self) -> bool:
        return bool(self.pending) and (len(self.pending) >= self.size
                                       or time.monotonic() - self.since >= self.seconds)

    def flush(self, record: Callable[[Any, Any, int], Any]) -> None:
        """Commit the held results' grades in one transaction, then ``record(job, result, attempt)`` each."""
        from autograder.core.results import Status

        batch, self.pending = self.pending, []
        if not batch:
            return
        rows = [r for _, _, r, _ in batch if r is not None]
        gone = None
        try:
            on_server(self.gb, lambda: write_batch(self.gb, rows), self.wait)
        except Exception as exc:  # noqa: BLE001 - the grades are not in the gradebook: the next run grades them again
            why = f"recording failed: {type(exc).__name__}: {exc}"[:500]
            if isinstance(exc, ServerGone):
                gone, self.wait = exc, 0.0  # (no second wait for the same server)
                why = f"not saved: the gradebook server did not answer; {faults.RERUN}"
            for _job, result, r, _attempt in batch:
                if r is not None:
                    result.status, result.reason = Status.FAILED, why
        for job, result, _, attempt in batch:
            record(job, result, attempt)
        if gone is not None:
            raise gone

    def close(self) -> None:
        if getattr(self, "gb", None) is not None:
            self.gb.close()
            self.gb = None
        shutil.rmtree(self.tmp, ignore_errors=True)
