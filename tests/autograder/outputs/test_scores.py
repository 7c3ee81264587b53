"""The final scores the LMS files carry are nbgrader's own export's, late penalties included."""
from __future__ import annotations

import pytest

from autograder.core.coursedir import Course
from autograder.outputs.exports import export_grades
from autograder.outputs.scores import class_scores, format_duration, format_points
from tests.fixtures.autograder import lms_class


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Course:
    return Course(lms_class.graded_class(tmp_path_factory.mktemp("scores") / "course"))


def test_the_same_scores_as_nbgrader_s_own_export(graded, tmp_path):
    path = export_grades(graded, "ps1", tmp_path / "ps1_grades.csv")
    lines = path.read_text().splitlines()
    assert lines[0].split(",")[3] == "student_id" and lines[0].split(",")[-2] == "score"
    # nbgrader writes its CSV with ",".join (no quoting): a name with a comma shifts the middle
    # columns, so read the student id from the left and the score from the right
    nbgrader = {line.split(",")[3]: float(line.split(",")[-2]) for line in lines[1:]}
    scores = class_scores(graded)
    (ps1,) = scores.lessons
    ours = {student: (ps1.scores[student].score if student in ps1.scores else 0.0) for student in scores.students}
    assert ours == nbgrader == {student: score or 0.0 for student, score in lms_class.PS1.items()}
    assert (ps1.scores["bob"].raw, ps1.scores["bob"].penalty) == (3.0, 2.0)
    assert ps1.scores["dan"].extension_seconds == 2 * 86400 and ps1.scores["dan"].seconds_late == 0
    assert scores.left_out == [("tf1", "not graded yet: the gradebook has no submission of it")]


def test_a_submission_waiting_in_submitted_is_warned_about(graded):
    folder = graded.folder("submitted") / "eve" / "ps1"
    folder.mkdir(parents=True)
    try:
        warnings = class_scores(graded, ["ps1"]).warnings
    finally:
        folder.rmdir()
    assert any("1 submission(s) in submitted/ not graded yet (eve)" in w for w in warnings)


@pytest.mark.parametrize("value, text", [(3.0, "3"), (1.5, "1.5"), (2 / 3, "0.67"), (1234.5, "1234.5"), (-0.0, "0"),
                                         (0.004, "0")])
def test_points_as_lms_importers_read_them(value, text):
    assert format_points(value) == text


def test_durations():
    assert (format_duration(3600), format_duration(36 * 3600), format_duration(2 * 86400)) == \
        ("1 hour", "36 hours", "2 days")
