"""autograder.plan: submissions collected through nbgrader's exchange are a legitimate way in.

A student submits, then fixes an exercise and submits again; the instructor runs
``nbgrader collect --update``. The planner grades that re-submission; only files that came
through neither an import nor the exchange are refused. Corrupt and misnamed notebooks
already in ``submitted/`` get the reasons an import gives, and a removed submission folder
takes an ungraded submission out of the gradebook but never a graded one.
These run nbgrader's real release, fetch, submit and collect commands (no grading).
"""
from __future__ import annotations

import getpass
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.core.coursedir import Course
from autograder.plan.exchange import collected_from
from autograder.plan.intake import fingerprint, record_fingerprints
from autograder.plan.planner import make_plan
from tests.fixtures.autograder import fixture_course

STUDENT = getpass.getuser()  # nbgrader's exchange names a submission by its Unix user


def nbgrader(*args: str, cwd: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"], cwd=cwd,
                          env=fixture_course.cli_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def exchange_course(tmp_path):
    """The fixture course with a local exchange; ps1 released, fetched into a student folder."""
    root = fixture_course.prepare(tmp_path / "course", assignments=("ps1",))
    exchange, student = tmp_path / "exchange", tmp_path / "student"
    exchange.mkdir(mode=0o777)
    student.mkdir()
    config = f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\nc.CourseDirectory.course_id = 'autograder-fixture'\n"
    with open(root / "nbgrader_config.py", "a") as handle:
        handle.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
    (student / "nbgrader_config.py").write_text(config)
    nbgrader("release_assignment", "ps1", cwd=root)
    nbgrader("fetch_assignment", "ps1", cwd=student)
    return root, student


def submit(root: Path, student: Path, variant: str) -> None:
    fixture_course.write_submission(root, "ps1", variant, student / "ps1" / "ps1.ipynb")
    nbgrader("submit", "ps1", cwd=student)


def test_a_resubmission_collected_from_the_exchange_is_graded_and_only_other_changes_are_refused(exchange_course):
    root, student = exchange_course
    submit(root, student, "blank")
    nbgrader("collect", "ps1", cwd=root)
    first = make_plan(Course(root), ["ps1"])
    assert [job.student for job in first.jobs] == [STUDENT] and not first.tampered

    submit(root, student, "correct")  # the student fixes an exercise and presses Submit again
    nbgrader("collect", "--update", "ps1", cwd=root)
    course = Course(root)
    stamp = fingerprint(course, "ps1", STUDENT)
    assert collected_from(course, "ps1", STUDENT, stamp) is not None
    again = make_plan(course, ["ps1"])
    assert not again.tampered, again.tampered
    assert [job.student for job in again.jobs] == [STUDENT]

    # The same files changed by hand after the collect: in no import, in no exchange copy.
    path = root / "submitted" / STUDENT / "ps1" / "ps1.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("x = 1"))
    nbformat.write(nb, path)
    refused = make_plan(Course(root), ["ps1"])
    assert refused.jobs == [] and [t["student"] for t in refused.tampered] == [STUDENT]
    assert "nbgrader collect" in refused.tampered[0]["reason"]
    assert refused.summary().not_graded() and not refused.summary().ok


def test_a_collect_with_no_exchange_copy_is_refused_like_any_other_change(tmp_path):
    root = fixture_course.prepare(tmp_path / "course", assignments=("ps1",))
    path = fixture_course.write_submission(root, "ps1", "blank", root / "submitted" / "amy" / "ps1" / "ps1.ipynb")
    course = Course(root)
    record_fingerprints(course, "ps1", {"amy": fingerprint(course, "ps1", "amy")}, "import")
    fixture_course.write_submission(root, "ps1", "correct", path)
    plan = make_plan(Course(root), ["ps1"])
    assert plan.jobs == [] and plan.tampered[0]["student"] == "amy"


def test_corrupt_and_misnamed_notebooks_in_submitted_get_the_reasons_an_import_gives(tmp_path):
    root = fixture_course.prepare(tmp_path / "course", assignments=("ps1", "tf1"))
    submitted = root / "submitted"
    fixture_course.write_submission(root, "ps1", "correct", submitted / "ok" / "ps1" / "ps1.ipynb")
    (submitted / "broken" / "ps1").mkdir(parents=True)
    (submitted / "broken" / "ps1" / "ps1.ipynb").write_text('{"cells": [')
    fixture_course.write_submission(root, "ps1", "correct", submitted / "renamed" / "ps1" / "ps1 (1).ipynb")
    fixture_course.write_submission(root, "tf1", "correct", submitted / "other" / "ps1" / "tf1.ipynb")
    plan = make_plan(Course(root), ["ps1"])
    reasons = {item["student"]: item["reason"] for item in plan.unreadable}
    assert [job.student for job in plan.jobs] == ["ok"]
    assert "corrupt notebook" in reasons["broken"]
    assert "'ps1 (1).ipynb' is not a notebook of ps1 (expected ps1.ipynb)" in reasons["renamed"]
    assert "it is a notebook of tf1" in reasons["other"]
    assert "generate_assignment" not in " ".join(reasons.values())
    assert {row[1] for row in plan.summary().not_graded()} == {"broken", "renamed", "other"}


def test_a_removed_submission_folder_drops_an_ungraded_submission_but_keeps_grades(tmp_path):
    root = fixture_course.prepare(tmp_path / "course", assignments=("ps1",))
    course = Course(root)
    with course.gradebook() as gb:
        for student in ("gone", "graded"):
            gb.update_or_create_student(student)
            gb.add_submission("ps1", student)  # what a failed autograde leaves: no scores
        for nb in gb.find_submission("ps1", "graded").notebooks:
            for grade in nb.grades:
                grade.auto_score = 0.0
        gb.db.commit()
    plan = make_plan(course, ["ps1"])
    actions = {item["student"]: item["action"] for item in plan.removed}
    assert actions == {"gone": "removed", "graded": "kept"}
    with course.gradebook() as gb:
        assert sorted(s.student.id for s in gb.find_assignment("ps1").submissions) == ["graded"]
