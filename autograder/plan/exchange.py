"""Submissions collected through nbgrader's exchange are recognised as a legitimate way in.

A student's Submit (the Assignment List, ``nbgrader submit``) writes a timestamped copy into
the exchange's ``inbound`` folder; ``nbgrader collect`` (with ``--update`` for a re-submission)
copies the newest one into ``submitted/<student>/<assignment>/``. Files that match one of the
student's own copies in the exchange were collected, not changed by hand: they are graded as
"re-submitted", just as a re-import is. Only nbgrader's default file-system exchange is read;
a course with no exchange has no copies to match, and only an import is recognised.
"""
from __future__ import annotations

import glob
import os
from pathlib import Path

from autograder.core.coursedir import Course
from autograder.plan.intake import folder_fingerprint

#: nbgrader's default ``Exchange.root``.
DEFAULT_ROOT = "/srv/nbgrader/exchange"


def inbound_folder(course: Course) -> Path:
    """The course's ``inbound`` folder in nbgrader's exchange (it may not exist)."""
    root = course.config.get("Exchange", {}).get("root", DEFAULT_ROOT)
    return Path(root) / course.course_id / "inbound"


def submitted_copies(course: Course, assignment: str, student: str) -> list[tuple[str, Path]]:
    """The student's submissions of ``assignment`` in the exchange, newest first: (timestamp, folder)."""
    pattern = os.path.join(glob.escape(str(inbound_folder(course))),
                           f"{glob.escape(student)}+{glob.escape(assignment)}+*")
    copies = []
    for path in glob.glob(pattern):
        parts = os.path.basename(path).rsplit("+", 3)  # <student>+<assignment>+<timestamp>+<random>
        if len(parts) >= 3 and parts[0] == student and parts[1] == assignment and os.path.isdir(path):
            copies.append((parts[2], Path(path)))
    return sorted(copies, reverse=True)


def collected_from(course: Course, assignment: str, student: str, stamp: str) -> str | None:
    """When the submission with fingerprint ``stamp`` was submitted through the exchange
    (its timestamp), or None if no copy of the student's in the exchange has these files."""
    ignore = list(course.coursedir.ignore)  # what `nbgrader collect` leaves out of its copy
    for timestamp, folder in submitted_copies(course, assignment, student):
        if folder_fingerprint(folder, ignore) == stamp:
            return timestamp
    return None
