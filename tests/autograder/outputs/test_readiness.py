"""autograder export / report / feedback on an assignment with no grades yet: one sentence
saying what is missing and what to run, a non-zero exit, no traceback."""
from __future__ import annotations

import pytest

from tests.fixtures.autograder import fixture_course
from tests.fixtures.autograder.fixture_course import autograder


@pytest.fixture(scope="module")
def ungraded(tmp_path_factory):
    """ps1 generated (in the gradebook, no submission); tf1 never generated (not in the gradebook)."""
    return fixture_course.prepare(tmp_path_factory.mktemp("course") / "course", assignments=("ps1",))


@pytest.mark.parametrize("command", ["export", "report"])
@pytest.mark.parametrize("assignment, missing", [
    ("tf1", "tf1 is not in the gradebook yet"),
    ("ps1", "the gradebook has no submission of ps1 yet"),
])
def test_exports_and_reports_of_ungraded_work_say_what_is_missing_and_what_to_run(ungraded, command, assignment,
                                                                                missing):
    done = autograder(command, assignment, cwd=ungraded)
    assert done.returncode == 2, done.stdout + done.stderr
    assert missing in done.stderr and f"autograder grade {assignment}" in done.stderr
    assert f"nbgrader collect {assignment}" in done.stderr
    assert "Traceback" not in done.stderr and "MissingEntry" not in done.stderr
    assert not (ungraded / "exports" / f"{assignment}_grades.csv").exists()


@pytest.mark.parametrize("assignment", ["ps1", "tf1"])
def test_feedback_before_grading_is_not_silent(ungraded, assignment):
    done = autograder("feedback", assignment, cwd=ungraded)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"no autograded notebook of {assignment} yet: run `autograder grade {assignment}`" in done.stderr
    assert "Traceback" not in done.stderr
