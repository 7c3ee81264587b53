"""Faults of the grading infrastructure, in words: what happened, and what the next run does.

Grading leans on things outside the notebooks: the disk that holds the course folder, the
gradebook (a SQLite file another program such as the formgrader may lock, or a database
server that may restart) and, with ``--scheduler``, a Dask cluster. None of them failing loses
a grade: a submission gets its run log line only after nbgrader's grades are committed, and
the next run grades every submission whose grades or line are missing (each student once:
the gradebook keeps one submission per student). This module names such a fault for the
instructor: :func:`explain` turns a failure's raw text into a reason, :func:`notice` says at
once what the run does about a fault it rides out, and :class:`GradingStopped` ends a run that
cannot go on.
"""
from __future__ import annotations

import sys

from autograder.core.coursedir import CourseError

#: How a full disk shows in an error: the system's ENOSPC and EDQUOT texts, SQLite's own.
DISK_FULL = ("No space left on device", "Disk quota exceeded", "database or disk is full")
#: SQLite's text when another connection holds the write lock past the busy timeout.
LOCKED = "database is locked"
#: What the next run does with a submission a fault left without its grades.
RERUN = "the next run grades it again (run the same command)"


class GradingStopped(CourseError):
    """The run cannot go on (the course's disk is full, the gradebook server or the Dask scheduler is
    gone); the message says what happened, what was saved and what the next run grades."""


def disk_full(text: str) -> bool:
    return any(words in (text or "") for words in DISK_FULL)


def explain(text: str, course) -> str | None:
    """The reason to show for a submission that failed because of the infrastructure (its raw
    ``text``: the failure's reason and log), or None when the fault is not one of those."""
    text = text or ""
    if disk_full(text):
        return (f"not saved: the disk holding the course folder ({course.root}) is full; {RERUN} "
                "once there is space")
    if LOCKED in text:
        return (f"not saved: the gradebook ({gradebook_name(course)}) stayed locked by another program "
                f"(a formgrader saving a grade, an open sqlite3 session) past the wait; {RERUN}")
    return None


def gradebook_name(course) -> str:
    """The gradebook as the instructor knows it: its file, or its server without a password."""
    url = course.db_url
    if url.startswith("sqlite"):
        return url.split(":///", 1)[-1].split("?", 1)[0]
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def notice(message: str) -> None:
    """Say at once (on stderr, above the progress display) what the run does about a fault."""
    print(f"autograder: {message}", file=sys.stderr, flush=True)


def stopped(what: str, saved: int, total: int, then: str) -> GradingStopped:
    """The error that ends a run: ``what`` happened; ``saved`` of ``total`` submissions were saved."""
    left = total - saved
    return GradingStopped(
        f"{what}. Grading stopped: {saved} of {total} submissions of this run were saved (grades and run "
        f"log), {left} were not. {then}: it grades the {left} not saved, and nothing saved twice.")
