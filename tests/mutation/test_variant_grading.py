"""Correct variants, graded as a class's submissions: full marks from stock nbgrader and from
autograder alike (issue 22's target: every correct variant accepted under both)."""
from __future__ import annotations

import pytest

from tests.course_copy import notebook_of
from tests.mutation.graders import grade_variants, variant_submissions

pytestmark = pytest.mark.slow


def test_each_variant_is_in_one_submission_and_the_rest_is_the_reference():
    reference = notebook_of("source", "01_input_data")
    submissions = variant_submissions("01_input_data")
    labels = [label for _, _, held in submissions for label in held]
    assert len(labels) == len(set(labels)) >= 10  # every variant, once
    for _, notebook, held in submissions:
        changed = {cell.metadata["nbgrader"]["grade_id"] for cell, original in zip(notebook.cells, reference.cells)
                   if cell.source != original.source}
        assert changed == {label.split(":")[0] for label in held}


def test_lesson_1_variants_get_full_marks_from_stock_nbgrader_and_autograder(tmp_path):
    graded = grade_variants("01_input_data", tmp_path)
    assert {g.grader for g in graded} == {"stock nbgrader", "autograder"}
    assert len(graded) == 2 * len(variant_submissions("01_input_data"))
    rejected = [(g.grader, g.student, g.written_as, g.lost) for g in graded if g.lost]
    assert not rejected, rejected
