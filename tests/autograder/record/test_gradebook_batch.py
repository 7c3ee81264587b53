"""autograder.record.gradebook_batch: a scratch gradebook prepared as the course's, what it recorded
written into the course's gradebook in one transaction, and a batch committed before it is logged."""
from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

from tests.fixtures.autograder import fixture_course


def course_with_history(tmp_path):
    """ps1 with a due date; ann has a manual grade, bob an extension."""
    from nbgrader.api import Gradebook

    from autograder.core.coursedir import Course

    root = fixture_course.prepare(tmp_path / "course", assignments=("ps1",))
    course = Course(root)
    with Gradebook(course.db_url, course.course_id) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbgrader's add_submission makes SQLAlchemy warn
        gb.update_or_create_assignment("ps1", duedate="2026-11-20 10:00:00 UTC")
        for student in ("ann", "bob"):
            gb.update_or_create_student(student)
            gb.add_submission("ps1", student)
        gb.find_grade("test_add", "ps1", "ps1", "ann").manual_score = 0.5
        gb.find_grade("test_mean", "ps1", "ps1", "ann").extra_credit = 1.0
        gb.db.commit()
        gb.grant_extension("ps1", "bob", minutes=30)
    return course


def fake_autograde(scratch_url: str, course_id: str, student: str, auto: dict[str, float]) -> None:
    """What nbgrader's autograde writes for ``student``, written by hand into the scratch."""
    from datetime import datetime

    from nbgrader.api import Gradebook

    with Gradebook(scratch_url, course_id) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            sub = gb.find_submission("ps1", student)
        except Exception:  # noqa: BLE001
            sub = gb.add_submission("ps1", student)
        sub.timestamp = datetime(2026, 11, 20, 10, 15)
        for nb in sub.notebooks:
            nb.late_submission_penalty = 1.0 if student == "ann" else None
            nb.flagged = student == "cy"
            for grade in nb.grades:
                grade.auto_score, grade.needs_manual_grade = auto[grade.name], grade.manual_score is not None
            for comment in nb.comments:
                comment.auto_comment = f"auto {student}"
        gb.db.commit()


def test_a_scratch_prepared_as_the_course_records_into_the_course_in_one_transaction(tmp_path):
    from nbgrader.api import Gradebook

    from autograder.record.gradebook_batch import Scratch, copy_assignments, course_state, write_batch

    course = course_with_history(tmp_path)
    pairs = [("ps1", "ann"), ("ps1", "bob"), ("ps1", "cy")]
    with course.gradebook() as gb:
        url = copy_assignments(gb, tmp_path / "scratch.db")
        state = json.loads(json.dumps({f"{a}/{s}": v for (a, s), v in course_state(gb, pairs).items()}))  # as sent
    assert state["ps1/cy"]["submission"] is None and state["ps1/ann"]["due"].startswith("2026-11-20T10:00")
    scratch = Scratch(url, course.course_id)
    for assignment, student in pairs:
        scratch.prepare(assignment, student, state[f"{assignment}/{student}"])
    with Gradebook(url, course.course_id) as gb:
        assert [nb.name for nb in gb.find_assignment("ps1").notebooks] == ["ps1"]
        ann = gb.find_submission("ps1", "ann")
        assert ann.total_seconds_late == 0 and str(gb.find_assignment("ps1").duedate) == "2026-11-20 10:00:00"
        assert gb.find_grade("test_add", "ps1", "ps1", "ann").manual_score == 0.5
        assert gb.find_grade("test_mean", "ps1", "ps1", "ann").extra_credit == 1.0
        assert str(gb.find_submission("ps1", "bob").extension) == "0:30:00"
        assert sorted(s.id for s in gb.students) == ["ann", "bob", "cy"] and len(gb.find_assignment("ps1").submissions) == 2
    for student in ("ann", "bob", "cy"):
        fake_autograde(url, course.course_id, student, {"test_add": 1.0, "test_mean": 0.0})
    rows = json.loads(json.dumps(list(scratch.recorded(pairs).values())))  # as a worker replies
    with course.gradebook() as gb:
        write_batch(gb, rows)
    with course.gradebook() as gb:
        ann, cy = gb.find_submission("ps1", "ann"), gb.find_submission("ps1", "cy")  # cy: new student and submission
        assert str(cy.timestamp) == "2026-11-20 10:15:00" and cy.notebooks[0].flagged
        assert [(g.name, g.auto_score, g.manual_score, g.needs_manual_grade) for g in ann.notebooks[0].grades] == \
               [("test_add", 1.0, 0.5, True), ("test_mean", 0.0, None, False)]
        assert ann.notebooks[0].late_submission_penalty == 1.0 and not ann.notebooks[0].flagged
        assert {c.auto_comment for c in ann.notebooks[0].comments} == {"auto ann"}
        assert str(gb.find_submission("ps1", "bob").extension) == "0:30:00"  # left as it was


def test_a_batch_is_committed_before_it_is_logged_and_a_failed_write_is_logged_as_failed(tmp_path):
    from autograder.core.results import Job, Result, Status
    from autograder.record.gradebook_batch import Batches, Scratch

    course = course_with_history(tmp_path)
    batches = Batches(course, size=2, seconds=60)
    try:
        spec = batches.job_gradebook(Job("ps1", "ann"), [Job("ps1", "bob"), Job("ps1", "cy")])
        assert Path(spec["template"]).is_file() and spec["state"]["submission"]["grades"]
        assert set(batches.state) == {("ps1", "bob"), ("ps1", "cy")}  # read ahead, in the same queries
        worker = tmp_path / "worker.db"  # a worker's copy of the template
        shutil.copyfile(spec["template"], worker)
        scratch = Scratch(f"sqlite:///{worker}", course.course_id)
        scratch.prepare("ps1", "cy", batches.job_gradebook(Job("ps1", "cy"), [])["state"])
        fake_autograde(scratch.url, course.course_id, "cy", {"test_add": 1.0, "test_mean": 2.0})
        rows = scratch.recorded([("ps1", "cy")])[("ps1", "cy")]
        seen = []

        def record(job, result, attempt):  # the run log: the grade is in the gradebook by then
            with course.gradebook() as gb:
                seen.append((job.student, result.status, gb.find_grade("test_mean", "ps1", "ps1", "cy").auto_score))

        batches.add(Job("ps1", "cy"), Result("ps1", "cy", status=Status.GRADED), rows, 1)
        assert not batches.due()
        batches.add(Job("ps1", "dee"), Result("ps1", "dee", status=Status.FAILED), None, 2)
        assert batches.due()
        batches.flush(record)
        assert seen == [("cy", Status.GRADED, 2.0), ("dee", Status.FAILED, 2.0)] and not batches.pending

        broken = json.loads(json.dumps(rows))
        broken["notebooks"][0]["grades"][0][1] = 0.0
        broken["notebooks"][0]["name"] = "no_such_notebook"
        result = Result("ps1", "cy", status=Status.GRADED)
        batches.add(Job("ps1", "cy"), result, broken, 1)
        batches.flush(record)  # nothing half-written; logged as failed, so the next run grades it again
        assert seen[-1] == ("cy", Status.FAILED, 2.0) and result.reason.startswith("recording failed: KeyError")
    finally:
        batches.close()
    assert not batches.tmp.exists()
