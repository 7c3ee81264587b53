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
