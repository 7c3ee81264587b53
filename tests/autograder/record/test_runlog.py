"""autograder.record.runlog: the run log and the recorder every executor hands its results to."""
from __future__ import annotations

from types import SimpleNamespace

from autograder.core.results import Job, Result, Status, Summary
from autograder.record.runlog import Recorder, RunLog


def test_each_job_is_recorded_once_in_the_log_the_summary_and_the_display(tmp_path):
    course = SimpleNamespace(state_dir=tmp_path)
    summary, shown = Summary(), []
    recorder = Recorder(course, summary, total=2, on_result=lambda r, done, total: shown.append((r.student, done, total)),
                        executor="dask")
    job = Job("ps1", "ann", "f1", "not graded yet")
    assert recorder.record(job, Result("ps1", "ann", status=Status.GRADED, seconds=2.0), attempt=1)
    assert not recorder.record(job, Result("ps1", "ann", status=Status.GRADED), attempt=2)  # a second execution
    assert not recorder.done
    recorder.record(Job("ps1", "bob", "f2", "re-submitted"), Result("ps1", "bob", status=Status.FAILED), attempt=2)
    assert recorder.done and shown == [("ann", 1, 2), ("bob", 2, 2)]
    log = RunLog(course, "ps1")
    latest = log.latest()
    assert latest["ann"].fingerprint == "f1" and latest["ann"].executor == "dask" and latest["ann"].attempt == 1
    assert latest["bob"].status is Status.FAILED and latest["bob"].why == "re-submitted"
    assert log.seconds_per_submission() == 2.0


def test_a_line_cut_short_by_kill_9_is_skipped(tmp_path):
    course = SimpleNamespace(state_dir=tmp_path)
    log = RunLog(course, "ps1")
    log.append(Result("ps1", "ann", status=Status.GRADED, seconds=1.0))
    with open(log.path, "a") as handle:
        handle.write('{"assignment": "ps1", "student": "bo')
    assert list(log.latest()) == ["ann"] and RunLog(course, "ps2").seconds_per_submission() is None


def test_a_line_the_disk_has_no_room_for_is_undone_and_the_run_stops_saying_so(tmp_path, monkeypatch):
    """A full disk mid-line: the part written is taken back (the next line lands whole on its own line),
    and the recorder stops the run naming the full disk and what the rerun grades; the job stays unrecorded."""
    import errno
    import os

    import pytest

    from autograder.record import faults, runlog

    course = SimpleNamespace(state_dir=tmp_path, root=tmp_path / "course")
    summary = Summary()
    recorder = Recorder(course, summary, total=3)
    recorder.record(Job("ps1", "ann", "f1", "not graded yet"), Result("ps1", "ann", status=Status.GRADED), attempt=1)
    real_write = os.write

    def half_then_full(fd, data):
        real_write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(runlog.os, "write", half_then_full)
    bob = Job("ps1", "bob", "f2", "not graded yet")
    with pytest.raises(faults.GradingStopped) as stopped:
        recorder.record(bob, Result("ps1", "bob", status=Status.GRADED), attempt=1)
    assert (f"the disk holding the course folder ({course.root}) is full: bob's result of ps1 could not be logged. "
            "Grading stopped: 1 of 3 submissions of this run were saved (grades and run log), 2 were not. Free some "
            "space, then run the same command again: it grades the 2 not saved") in str(stopped.value)
    monkeypatch.setattr(runlog.os, "write", real_write)
    assert recorder.record(bob, Result("ps1", "bob", status=Status.GRADED), attempt=2)  # not recorded before
    assert [r.student for r in RunLog(course, "ps1").records()] == ["ann", "bob"]  # every line whole


def test_infrastructure_failures_get_a_reason_in_words(tmp_path):
    from autograder.record import faults

    course = SimpleNamespace(root=tmp_path, db_url=f"sqlite:///{tmp_path}/gradebook.db?timeout=2")
    locked = faults.explain("[AutogradeApp | ERROR] (sqlite3.OperationalError) database is locked", course)
    assert locked == (f"not saved: the gradebook ({tmp_path}/gradebook.db) stayed locked by another program (a "
                      "formgrader saving a grade, an open sqlite3 session) past the wait; the next run grades it "
                      "again (run the same command)")
    full = faults.explain("OSError: [Errno 28] No space left on device: 'autograded/ann'", course)
    assert full is not None and f"the disk holding the course folder ({tmp_path}) is full" in full
    assert faults.explain("AssertionError: the mean of [1, 2, 3] is 2", course) is None
