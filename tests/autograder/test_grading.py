"""autograder.grading: the first worker starts before the course's config is loaded, and is the one
that grades; never more workers than submissions; nothing starts when nothing needs grading."""
from __future__ import annotations

import pytest

from tests.fixtures.autograder import fixture_course


@pytest.mark.slow
def test_the_early_worker_grades_and_nothing_starts_when_nothing_is_left(tmp_path):
    from autograder.core.coursedir import Course
    from autograder.grading import grade, start_early

    root = fixture_course.prepare(tmp_path / "course", assignments=("ps1",))
    assert start_early(root, ["ps1"]) is None  # no submissions yet
    fixture_course.write_submission(root, "ps1", "correct", root / "submitted" / "ann" / "ps1" / "ps1.ipynb")
    with open(root / "nbgrader_config.py", "a") as handle:
        handle.write('\nc.Autograder.scheduler = "tcp://127.0.0.1:9"\n')
    assert start_early(root, ["ps1"]) is None  # a Dask run needs no local worker
    with open(root / "nbgrader_config.py", "a") as handle:
        handle.write('\nc.Autograder.scheduler = ""\n')

    started = start_early(root, ["ps1"], workers=4)
    assert started is not None and len(started.pool) == 1
    pid = started.pool[0].proc.pid
    summary = grade(Course(root), ["ps1"], workers=4, started=started)
    assert [(r.student, r.status, r.worker) for r in summary.results] == [("ann", "graded", pid)]
    assert len(summary.workers) == 1  # one submission: one worker, not four
    assert started.pool == []  # stopped at the end of the run

    again = grade(Course(root), ["ps1"], workers=4)
    assert again.results == [] and again.workers == []  # nothing to grade: no worker started
