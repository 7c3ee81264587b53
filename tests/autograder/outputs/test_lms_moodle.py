"""``export --moodle``: the file is checked against Moodle's CSV grade import rules."""
from __future__ import annotations

from pathlib import Path

import pytest

from autograder.core.coursedir import Course, CourseError
from autograder.outputs import lms_moodle
from tests.fixtures.autograder import lms_class
from tests.fixtures.autograder.lms_rules import moodle_import


@pytest.mark.parametrize("text, message", [
    ("Username,ps1\nann,3\nbob,1,extra\n", "csvweirdcolumns"),
    ("Username,ps1\nann,3\n,2\n", "previous row's user"),
    ("Username,ps1\nann,3\nzed,2\n", "usermappingerrorusernotfound"),
    ("Username,ps1\nann,three\n", "could not convert"),
    ("Username,ps1\nann,150\n", "gradevaluetoobig"),
])
def test_the_moodle_rules_refuse_a_wrong_file(text, message):
    with pytest.raises((AssertionError, ValueError), match=message):
        moodle_import(text.encode(), "Username", {"ann", "bob"}, ["ps1"])


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Course:
    return Course(lms_class.graded_class(tmp_path_factory.mktemp("moodle") / "course"))


USERNAMES = set(lms_class.STUDENTS)


def test_one_row_per_student_with_score_after_penalty(graded, tmp_path):
    summary = lms_moodle.write_moodle_import(graded, output=tmp_path)
    grades = moodle_import(Path(summary.path).read_bytes(), "Username", USERNAMES, ["ps1"])
    assert {user: g["ps1"] for user, g in grades.items()} == {
        "ann": 3, "bob": 1, "dan": 1, "zoë": 1.5, "eve": 0, "fay": 2}
    assert summary.left_out == [("tf1", "not graded yet: the gradebook has no submission of it")]
    steps = (tmp_path / "moodle_import.txt").read_text()
    assert "Map from = 'Username', Map to = username" in steps and "Encoding UTF-8" in steps


def test_missing_blank_and_feedback_columns(graded, tmp_path):
    summary = lms_moodle.write_moodle_import(graded, output=tmp_path, missing="blank", feedback=True)
    data = Path(summary.path).read_bytes()
    assert data.splitlines()[0] == b"Username,ps1,Feedback for ps1"
    grades = moodle_import(data, "Username", USERNAMES, ["ps1"], ["Feedback for ps1"])
    assert grades["eve"]["ps1"] is None and b"\neve,-," in data  # '-' is "no grade" for new items too
    assert grades["eve"]["Feedback for ps1"] == "not submitted"
    bob = grades["bob"]["Feedback for ps1"]
    assert bob.startswith("1 / 3 after a late penalty of 2") and "36 hours late" in bob
    assert grades["dan"]["Feedback for ps1"] == "1 / 3; extension of 2 days"  # on time with it


def test_email_or_id_number_identifiers_leave_out_who_has_none(graded, tmp_path):
    with graded.gradebook() as gb:
        gb.update_or_create_student("ann", lms_user_id="2026-0001")
        gb.update_or_create_student("zoë", lms_user_id="2026-0004")
        gb.update_or_create_student("fay", email="ANN.LEE@example.edu")  # shares ann's email
    try:
        by_number = lms_moodle.write_moodle_import(graded, output=tmp_path / "n", match="idnumber")
        by_email = lms_moodle.write_moodle_import(graded, output=tmp_path / "e", match="email")
    finally:
        with graded.gradebook() as gb:
            for student in ("ann", "zoë"):
                gb.update_or_create_student(student, lms_user_id=None)
            gb.update_or_create_student("fay", email="fay@example.edu")
    grades = moodle_import(Path(by_number.path).read_bytes(), "ID number", {"2026-0001", "2026-0004"}, ["ps1"])
    assert grades == {"2026-0001": {"ps1": 3}, "2026-0004": {"ps1": 1.5}}
    assert by_number.without_identifier == ["bob", "dan", "eve", "fay"]
    emails = {info[2] for info in lms_class.STUDENTS.values()}
    grades = moodle_import(Path(by_email.path).read_bytes(), "Email address", emails, ["ps1"])
    assert "ann.lee@example.edu" not in grades and grades["bob@example.edu"] == {"ps1": 1}
    assert by_email.duplicates == {"ann.lee@example.edu": ["ann", "fay"]}


def test_bad_options(graded, tmp_path):
    with pytest.raises(CourseError, match="--match sis_login_id"):
        lms_moodle.write_moodle_import(graded, output=tmp_path, match="sis_login_id")
    with pytest.raises(CourseError, match="--missing"):
        lms_moodle.write_moodle_import(graded, output=tmp_path, missing="none")
