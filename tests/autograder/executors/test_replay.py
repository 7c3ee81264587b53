"""autograder.executors.replay: a batch recorded by nbgrader's replayed autograde writes into the course
gradebook exactly what stock `nbgrader autograde --force` writes: scores, a manual grade kept in manual
grading, due date with an extension, late penalties, timestamps; `nbgrader export` reads the same."""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.autograder import fixture_course
from tests.fixtures.autograder.fixture_course import SCRIPTS, cli_env

pytestmark = pytest.mark.slow
STUDENTS = {"ann": "partial", "bob": "correct", "cy": "wrong"}


def nbgrader(root: Path, *args: str) -> None:
    done = subprocess.run([os.path.join(SCRIPTS, "nbgrader"), *args], cwd=root, env=cli_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def book(root: Path) -> dict:
    from nbgrader.api import Gradebook

    from autograder.core.coursedir import Course

    course = Course(root)
    out = {}
    with Gradebook(course.db_url, course.course_id) as gb:
        for sub in gb.find_assignment("ps1").submissions:
            out[sub.student.id] = {
                "timestamp": str(sub.timestamp), "extension": str(sub.extension), "late": sub.total_seconds_late,
                "notebooks": {nb.name: (nb.late_submission_penalty, nb.flagged, nb.score) for nb in sub.notebooks},
                "grades": {g.name: (g.auto_score, g.manual_score, g.needs_manual_grade)
                           for nb in sub.notebooks for g in nb.grades},
                "comments": {c.name: c.auto_comment for nb in sub.notebooks for c in nb.comments}}
    return out


def test_a_batch_records_what_stock_nbgrader_records(tmp_path):
    from nbgrader.api import Gradebook

    from autograder.core.coursedir import Course
    from autograder.executors.replay import Recording

    base = fixture_course.prepare(tmp_path / "base", assignments=("ps1",))
    with open(base / "nbgrader_config.py", "a") as handle:
        handle.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    for student, variant in STUDENTS.items():
        path = base / "submitted" / student / "ps1" / "ps1.ipynb"
        fixture_course.write_submission(base, "ps1", variant, path)
        (path.parent / "timestamp.txt").write_text("2026-11-20 10:15:00.000000 UTC")
    with Gradebook(Course(base).db_url, Course(base).course_id) as gb:
        gb.update_or_create_assignment("ps1", duedate="2026-11-20 10:00:00 UTC")
    nbgrader(base, "autograde", "ps1")  # graded once already
    with Gradebook(Course(base).db_url, Course(base).course_id) as gb:
        gb.find_grade("test_add", "ps1", "ps1", "ann").manual_score = 0.5  # an instructor's manual grade
        gb.grant_extension("ps1", "bob", minutes=30)  # bob is not late
        gb.db.commit()
    stock = Path(shutil.copytree(base, tmp_path / "stock"))
    here = Path(shutil.copytree(base, tmp_path / "here"))
    nbgrader(stock, "autograde", "ps1", "--force")

    import nbformat

    remotes = []
    for student in STUDENTS:  # what a worker sends back: the executed notebook
        executed = nbformat.read(stock / "autograded" / student / "ps1" / "ps1.ipynb", as_version=4)
        remotes.append({"id": f"ps1/{student}", "assignment": "ps1", "student": student, "status": "graded",
                        "reason": "", "files": {"ps1.ipynb": nbformat.writes(executed).encode()}})
    with Recording(Course(here)) as recording:
        results = recording.record(remotes)
    assert [r["status"] for r in results] == ["graded"] * 3, results

    ours, theirs = book(here), book(stock)
    assert ours == theirs
    assert ours["ann"]["grades"]["test_add"] == (1.0, 0.5, True)  # the manual grade keeps the cell in manual grading
    assert ours["ann"]["notebooks"]["ps1"][0] > 0 and ours["bob"]["notebooks"]["ps1"][0] is None  # late, extended
    for root in (here, stock):
        nbgrader(root, "export", "--to", str(root / "grades.csv"))
    rows = lambda root: sorted(csv.DictReader(open(root / "grades.csv")), key=lambda r: r["student_id"])  # noqa: E731
    assert rows(here) == rows(stock)
