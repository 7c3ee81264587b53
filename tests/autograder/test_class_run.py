"""autograder: import, parallel grading, crashes and hangs, exports, feedback, report.

One small class is graded once per module, through the ``autograder`` command,
and every artefact is checked against the gradebook and against stock
``nbgrader autograde``. The fixture course is ``tests/fixtures/autograder``.
"""
from __future__ import annotations

import csv
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.autograder import fixture_course
from tests.fixtures.autograder.fixture_course import SCRIPTS, autograder, cli_env


def scores(course_root: Path, assignment: str) -> dict[str, dict[str, float | None]]:
    """student -> graded cell -> score, straight from the gradebook."""
    from nbgrader.api import Gradebook

    from autograder.core.coursedir import Course

    course = Course(course_root)
    out: dict[str, dict[str, float | None]] = {}
    with Gradebook(course.db_url, course.course_id) as gb:
        for submission in gb.find_assignment(assignment).submissions:
            out[submission.student.id] = {g.name: g.score for nb in submission.notebooks for g in nb.grades}
    return out


TF_CLASS = {"alice": "correct", "bob": "partial", "carol": "blank", "dave": "crash", "erin": "hang"}
PS_CLASS = {"alice": "correct", "fay": "memory", "gus": "exit", "hal": "loop", "ike": "crash"}
EXPECTED_TF = {
    "alice": ({"test_build": 2, "test_train": 3}, "graded"),
    "bob": ({"test_build": 0, "test_train": 3}, "graded"),
    "carol": ({"test_build": 0, "test_train": 0}, "graded"),
    "dave": ({"test_build": 2, "test_train": 0}, "crashed"),
    "erin": ({"test_build": 2, "test_train": 0}, "timed_out"),
}
EXPECTED_PS = {
    "alice": ({"test_add": 1, "test_mean": 2}, "graded"),
    "fay": ({"test_add": 1, "test_mean": 2}, "graded"),
    "gus": ({"test_add": 0, "test_mean": 0}, "graded"),
    "hal": ({"test_add": 1, "test_mean": 0}, "timed_out"),  # the per-cell limit stopped its loop
    "ike": ({"test_add": 1, "test_mean": 0}, "crashed"),  # os._exit(3) in the second answer
}


def write_bad_files(course: Path, folder: Path) -> None:
    """A corrupt, an empty, a non-notebook, an unnamed and another assignment's notebook."""
    (folder / "ivy_tf1.ipynb").write_text('{"cells": [')
    (folder / "jon_tf1.ipynb").write_text("")
    (folder / "kim_tf1.txt").write_text("my answers are in the notebook")
    fixture_course.write_submission(course, "tf1", "correct", folder / "tf1.ipynb")
    fixture_course.write_submission(course, "ps1", "correct", folder / "lea_tf1.ipynb")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The fixture class, imported from a flat folder and graded by `autograder grade`."""
    root = fixture_course.prepare(tmp_path_factory.mktemp("course") / "course")
    incoming = tmp_path_factory.mktemp("incoming")
    for student, variant in TF_CLASS.items():
        fixture_course.write_submission(root, "tf1", variant, incoming / f"{student}_tf1.ipynb")
    write_bad_files(root, incoming)
    ps_folder = tmp_path_factory.mktemp("ps1")
    for student, variant in PS_CLASS.items():
        fixture_course.write_submission(root, "ps1", variant, ps_folder / student / "ps1" / "ps1.ipynb")
    imported = autograder("import", "ps1", str(ps_folder), cwd=root)
    assert imported.returncode == 0, imported.stderr
    imported = autograder("import", "tf1", str(incoming), cwd=root)
    assert imported.returncode == 0, imported.stderr
    run = autograder("grade", "tf1", "ps1", "--workers", "2",
                     "--notebook-timeout", "30", "--memory-limit", "3G", "--no-progress", cwd=root)
    return root, run, imported


@pytest.mark.slow
def test_grade_reports_every_student_with_status(graded):
    root, run, imported = graded
    assert run.returncode == 0, run.stdout + run.stderr
    out = imported.stdout
    for reason in ("corrupt notebook", "empty file", "not a notebook (.txt)",
                   "without the student", "another assignment"):
        assert reason in out
    assert "crashed" in run.stdout and "timed out" in run.stdout
    # 10 submissions on 2 workers: said at once; the projected class time follows the first two graded
    lines = run.stdout.splitlines()
    assert lines[0] == "autograder grade tf1 ps1: planning the run ...", lines[:3]  # before nbgrader loads
    assert lines[1].startswith("grading 10 submissions of ps1, tf1 on 2 workers"), lines[:3]
    projected = next(i for i, line in enumerate(lines) if line.startswith("projected class time: about "))
    assert "so far + " in lines[projected] and "/ 2 workers (measured on the first" in lines[projected]
    assert sum(line.startswith("[") for line in lines[:projected]) >= 2  # measured, not guessed
    # a hang stopped by the per-cell limit is a timeout: in the summary, and in the student's notebook
    assert "timed out" in run.stdout and "hal" in run.stdout.split("needs a look")[-1]
    assert "this cell ran longer than 10 s and was stopped" in run.stdout.split("needs a look")[-1]
    log = {json.loads(l)["student"]: json.loads(l) for l in (root / ".autograder" / "tf1.jsonl").read_text().splitlines()}
    for student, (_cells, status) in EXPECTED_TF.items():
        assert log[student]["status"] == status, (student, log[student])
    assert "kernel died" in log["dave"]["reason"]
    ps_log = {json.loads(l)["student"]: json.loads(l) for l in (root / ".autograder" / "ps1.jsonl").read_text().splitlines()}
    for student, (_cells, status) in EXPECTED_PS.items():
        assert ps_log[student]["status"] == status, (student, ps_log[student])
    assert "exit code 3" in ps_log["ike"]["reason"]


@pytest.mark.slow
def test_per_cell_scores_in_gradebook(graded):
    root, _, _ = graded
    tf = scores(root, "tf1")
    ps = scores(root, "ps1")
    for student, (cells, _) in EXPECTED_TF.items():
        assert tf[student] == cells, student
    for student, (cells, _) in EXPECTED_PS.items():
        assert ps[student] == cells, student
    # the per-kernel memory limit turned the 6 GB allocation into a MemoryError
    assert "MemoryError" in (root / "autograded" / "fay" / "ps1" / "ps1.ipynb").read_text()
    # issue 9: a student whose only files were rejected is not added to the gradebook
    from autograder.core.coursedir import Course

    with Course(root).gradebook() as gb:
        ids = {s.id for s in gb.students}
        flagged = {nb.student.id for nb in gb.find_assignment("tf1").submissions for nb in nb.notebooks if nb.flagged}
    assert not {"ivy", "jon", "kim", "lea"} & ids
    assert flagged == {"dave", "erin"}
    with Course(root).gradebook() as gb:  # the per-cell timeout is flagged too
        assert any(nb.flagged for nb in gb.find_submission("ps1", "hal").notebooks)


@pytest.mark.slow
def test_same_scores_as_stock_nbgrader(graded, tmp_path):
    """Stock `nbgrader autograde` on the well-formed submissions gives the same per-cell scores."""
    root, _, _ = graded
    stock = fixture_course.prepare(tmp_path / "stock", assignments=("tf1",))
    for student in ("alice", "bob", "carol"):
        src = root / "submitted" / student / "tf1"
        dest = stock / "submitted" / student / "tf1"
        dest.mkdir(parents=True)
        (dest / "tf1.ipynb").write_bytes((src / "tf1.ipynb").read_bytes())
    done = subprocess.run([os.path.join(SCRIPTS, "nbgrader"), "autograde", "tf1"], cwd=stock,
                          env=cli_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    ours, theirs = scores(root, "tf1"), scores(stock, "tf1")
    assert {s: ours[s] for s in theirs} == theirs


@pytest.mark.slow
def test_exports_agree_with_gradebook(graded):
    root, _, _ = graded
    run = autograder("export", cwd=root)
    assert run.returncode == 0, run.stderr
    grades = {r["student_id"]: r for r in csv.DictReader(open(root / "exports" / "tf1_grades.csv"))}
    questions = list(csv.DictReader(open(root / "exports" / "tf1_questions.csv")))
    gb = scores(root, "tf1")
    for student, cells in gb.items():
        assert float(grades[student]["raw_score"]) == sum(v or 0 for v in cells.values())
        mine = {q["cell"]: q for q in questions if q["student_id"] == student}
        for cell, score in cells.items():
            assert float(mine[cell]["points"]) == score
            assert mine[cell]["passed"] == str(score == float(mine[cell]["max_points"]))
    wide = {r["student_id"]: r for r in csv.DictReader(open(root / "exports" / "tf1_questions_wide.csv"))}
    assert wide["bob"]["test_build"] == "0" and wide["bob"]["test_train"] == "3" and wide["bob"]["total"] == "3"
    status = {q["student_id"]: q["status"] for q in questions}
    assert status["dave"] == "crashed" and status["erin"] == "timed_out" and "ivy" not in status


@pytest.mark.slow
def test_feedback_shows_hidden_message_not_code(graded):
    root, _, _ = graded
    run = autograder("feedback", "tf1", "--student", "bob", "--student", "alice", cwd=root)
    assert run.returncode == 0, run.stdout + run.stderr
    page = (root / "feedback" / "bob" / "tf1" / "tf1.html").read_text()
    # the message once (the error), never the assert that holds it (the code)
    assert page.count("the hidden layer should have 8 units") == 1
    assert "BEGIN HIDDEN TESTS" not in page and "units == 8" not in page
    assert "3.0 / 5.0" in page
    assert (root / "feedback" / "alice" / "tf1" / "tf1.html").exists()


@pytest.mark.slow
def test_report_has_figures_and_agrees(graded):
    root, _, _ = graded
    run = autograder("report", "tf1", "ps1", cwd=root)
    assert run.returncode == 0, run.stderr
    page = (root / "reports" / "class_report.html").read_text()
    for alt in ("score histogram", "pass rate per graded cell", "most frequent failure messages", "time spent grading"):
        assert f"alt='{alt}'" in page
    assert page.count("data:image/png;base64,") >= 7
    assert "AssertionError: the hidden layer should have 8 units" in page
    from autograder.core.coursedir import Course
    from autograder.outputs.report import assignment_data

    data = assignment_data(Course(root), "tf1")
    assert data["totals"] == {s: float(sum(v or 0 for v in c.values())) for s, c in scores(root, "tf1").items()}
    assert data["pass_rate"][("tf1", "test_build")] == pytest.approx(3 / 5)
    assert data["statuses"]["rejected"] == 4 and data["statuses"]["crashed"] == 1


@pytest.mark.slow
def test_second_run_grades_nothing_new(graded):
    root, _, _ = graded
    run = autograder("grade", "tf1", "ps1", "--no-progress", cwd=root)
    assert run.returncode == 0, run.stderr
    assert "already graded (skipped)" in run.stdout and "[1/" not in run.stdout
