"""The lessons through ``autograder grade`` (its trusted checks, sandboxed): the same scores as
stock nbgrader gives them in tests/test_notebooks.py, full marks for the reference and zero for
the blank release, and one verdict per graded cell."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.course_copy import ASSIGNMENTS, copy_course, graded_cell_outputs, grades, notebook_of, register, submit

pytestmark = pytest.mark.slow

#: The students of tests/test_notebooks.py that this run grades again: a reference run and a blank release.
REFERENCE, BLANK = "reference-1", "blank"


def stock_scores(assignment: str, student: str) -> dict[str, tuple[float, float]]:
    """What stock nbgrader gives ``student`` in tests/test_notebooks.py (asserted there): every graded
    cell's points for the reference, 0 of them for the blank release."""
    cells = [cell.metadata["nbgrader"] for cell in notebook_of("source", assignment).cells
             if cell.metadata.get("nbgrader", {}).get("grade")]
    return {cell["grade_id"]: (float(cell["points"]) if student == REFERENCE else 0.0, float(cell["points"]))
            for cell in cells}


@pytest.fixture(scope="module")
def trusted_course(tmp_path_factory):
    """The reference and the blank release of every lesson, graded by `autograder grade` (trusted checks)."""
    course = copy_course(tmp_path_factory.mktemp("trusted"))
    register(course)
    for assignment in ASSIGNMENTS:
        submit(course, REFERENCE, assignment, notebook_of("source", assignment))
        submit(course, BLANK, assignment, notebook_of("release", assignment))
    scripts = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=scripts + os.pathsep + os.environ.get("PATH", ""))
    done = subprocess.run([os.path.join(scripts, "autograder"), "grade", *ASSIGNMENTS, "--workers", "2"],
                          cwd=course, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout + done.stderr
    return course


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_autograder_trusted_checks_score_like_stock_nbgrader(trusted_course, assignment):
    for student in (REFERENCE, BLANK):
        assert grades(trusted_course, student, assignment) == stock_scores(assignment, student), student
    if assignment == "07_quiz":  # helper-owned quiz verdicts have their own wording
        return
    for cell, outputs in graded_cell_outputs(trusted_course, REFERENCE, assignment).items():
        text = "".join(o.get("text", "") for o in outputs)
        assert text.count("✔") == 1, f"{cell}: one verdict expected, got {outputs}"
