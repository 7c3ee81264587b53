"""``autograder export --canvas/--moodle`` and ``autograder roster import`` on the command line,
after a class graded with ``autograder grade``."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.autograder import fixture_course, lms_class
from tests.fixtures.autograder.fixture_course import autograder as run
from tests.fixtures.autograder.lms_rules import canvas_import, moodle_import

CANVAS = (
    "Student,ID,SIS User ID,SIS Login ID,Section,ps1 (1202),Current Score,Final Score\n"
    "    Points Possible,,,,,3.00,(read only),(read only)\n"
    '"Lee, Ann",101,S101,ann,A,,,\n'
    '"O\'Brien, Bob",102,S102,bob,A,,,\n'
    '"Çelik, Zoë",104,S104,zoë,B,,,\n'
    '"Adams, Eve",105,S105,eve,B,,,\n'
)


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    """ps1 graded by ``autograder grade``: ann on time and right, bob a day late (nbgrader's
    'zero' late penalty), zoë right but on time; eve on the roster with no submission."""
    from autograder.core.coursedir import Course

    course = fixture_course.prepare(tmp_path_factory.mktemp("lms_cli") / "course")
    with (course / "nbgrader_config.py").open("a") as config:
        config.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    with Course(course).gradebook() as gb:
        gb.update_or_create_assignment("ps1", duedate="2026-11-20 10:00:00 UTC")
    for student, variant, when in (("ann", "correct", "2026-11-19 10:00:00 UTC"),
                                   ("bob", "correct", "2026-11-21 10:00:00 UTC"),
                                   ("zoë", "partial", "2026-11-20 09:00:00 UTC")):
        folder = course / "submitted" / student / "ps1"
        fixture_course.write_submission(course, "ps1", variant, folder / "ps1.ipynb")
        (folder / "timestamp.txt").write_text(when)
    done = run("grade", "ps1", "--workers", "1", "--no-progress", cwd=course)
    assert done.returncode == 0, done.stdout + done.stderr
    return course


@pytest.mark.slow
def test_export_canvas_after_autograder_grade(graded, tmp_path):
    export = tmp_path / "canvas.csv"
    export.write_text(CANVAS, encoding="utf-8")
    done = run("export", "--canvas", str(export), "--summary-json", str(tmp_path / "s.json"), cwd=graded)
    assert done.returncode == 0, done.stderr
    read = canvas_import((graded / "exports" / "canvas_import.csv").read_bytes())
    assert read["student_columns"] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert [(a["header"], a["points"]) for a in read["assignments"]] == [("ps1 (1202)", 3.0)]
    grades = {k: v["grades"]["ps1 (1202)"] for k, v in read["students"].items()}
    assert grades == {"101": "3", "102": "0", "104": "1", "105": "0"}  # bob: late, nbgrader's zero penalty; eve: none
    assert "tf1: not graded yet" in done.stdout and "Adams, Eve (line 6)" in done.stdout
    summary = json.loads((tmp_path / "s.json").read_text())["canvas"]
    assert summary["matched"] == 3 and summary["left_out"][0]["lesson"] == "tf1"
    assert [s["name"] for s in summary["canvas_only"]] == ["Adams, Eve"]
    assert (graded / "exports" / "ps1_grades.csv").exists()  # nbgrader's own export still written


@pytest.mark.slow
def test_export_moodle_and_a_wrong_match(graded, tmp_path):
    done = run("export", "--moodle", "--feedback", "--missing", "blank", "--output", str(tmp_path), cwd=graded)
    assert done.returncode == 0, done.stderr
    assert "Map from = 'Username', Map to = username" in done.stdout
    grades = moodle_import((tmp_path / "moodle_import.csv").read_bytes(), "Username", {"ann", "bob", "zoë"},
                           ["ps1"], ["Feedback for ps1"])
    assert {u: g["ps1"] for u, g in grades.items()} == {"ann": 3, "bob": 0, "zoë": 1}
    assert "late penalty of 3" in grades["bob"]["Feedback for ps1"]
    bad = run("export", "--moodle", "--match", "sis_user_id", cwd=graded)
    assert bad.returncode == 2 and "--match sis_user_id" in bad.stderr
    bad = run("export", "--canvas", str(tmp_path / "none.csv"), cwd=graded)
    assert bad.returncode == 2 and "no such file" in bad.stderr


def test_roster_import_twice(tmp_path):
    course = fixture_course.make_course(tmp_path / "course")
    roster = tmp_path / "class.csv"
    roster.write_text("id,first_name,last_name,email\nann,Ann,Lee,ann@example.edu\n,No,Id,\n"
                      "zoë,Zoë,\"Çelik, Nguyễn\",zoe@example.edu\n", encoding="utf-8")
    first = run("roster", "import", str(roster), "--summary-json", str(tmp_path / "r.json"), cwd=course)
    assert first.returncode == 1, first.stderr  # a row was refused
    assert "added 2, changed 0, unchanged 0, refused 1" in first.stdout and "refused line 3: no id" in first.stdout
    assert json.loads((tmp_path / "r.json").read_text())["added"] == ["ann", "zoë"]
    roster.write_text("id,first_name,last_name,email\nann,Ann,Lee,ann@example.edu\n"
                      "zoë,Zoë,\"Çelik, Nguyễn\",zoe@example.edu\n", encoding="utf-8")
    again = run("roster", "import", str(roster), cwd=course)
    assert again.returncode == 0 and "added 0, changed 0, unchanged 2, refused 0" in again.stdout
    assert run("roster", "export", str(roster), cwd=course).returncode == 2
    canvas = lms_class.write_canvas_export(tmp_path / "canvas.csv")
    from_canvas = run("roster", "import", str(canvas), cwd=course)
    assert from_canvas.returncode == 0 and "a canvas roster" in from_canvas.stdout
