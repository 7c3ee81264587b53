"""autograder.core.results: results survive JSON (worker replies, run log lines) with their types."""
from __future__ import annotations

import json

from autograder.core.results import (
    CellResult,
    CellStatus,
    Job,
    Problem,
    Result,
    Status,
    Summary,
    Verdict,
    cell_message,
    error_name,
)


def test_a_result_round_trips_through_json():
    result = Result("ps1", "ann", status=Status.CRASHED, reason="ps1: the kernel died", seconds=1.5,
                    cells=[CellResult("ps1", "q1", 1.0, 1.0, CellStatus.PASSED),
                           CellResult("ps1", "q2", 0.0, 1.0, CellStatus.NOT_ATTEMPTED, "NotAttempted: … q2",
                                      problems=[Problem("missing", "`x` is not defined yet.")])],
                    score=1.0, max_score=2.0,
                    isolation="sandboxed", executor="dask", host="node1")
    data = json.loads(json.dumps(result.to_dict()))
    assert data["status"] == "crashed" and data["id"] == "ps1/ann"
    assert data["cells"][0]["passed"] is True and data["cells"][1]["status"] == "not attempted"
    again = Result.from_dict(data)
    assert again == result and again.status is Status.CRASHED
    assert again.cells[1].status is CellStatus.NOT_ATTEMPTED and again.cells[1].problems[0].kind == "missing"


def test_a_cell_from_an_older_run_log_line():
    """Lines written before cells had a status: ``passed`` says it; unknown keys are ignored."""
    old = Result.from_dict({"assignment": "ps1", "student": "ann", "status": "graded", "cells": [
        {"notebook": "ps1", "cell": "q1", "points": 1, "max_points": 1, "passed": True, "message": ""},
        {"notebook": "ps1", "cell": "q2", "points": None, "max_points": 2, "passed": False,
         "message": "AssertionError: no", "autograded": True, "later": 1}]})
    assert [(c.cell, c.status, c.passed, c.points) for c in old.cells] == [
        ("q1", CellStatus.PASSED, True, 1.0), ("q2", CellStatus.FAILED, False, None)]


def test_a_verdict_round_trips_through_json():
    verdict = Verdict(CellStatus.FAILED, "✘ Exercise 1: 1 problem to fix\n  1. wrong", "CheckFailed", "printed\n",
                      [Problem("mismatch", "wrong")])
    again = Verdict.from_json(json.loads(json.dumps(verdict.to_json())))
    assert again == verdict and again.status is CellStatus.FAILED
    assert Verdict.from_json({"status": "exploded"}).status is CellStatus.FAILED
    assert Verdict.grader_error("the grader failed").ename == "GraderError"


def test_a_failed_cells_message_from_its_outputs():
    error = {"output_type": "error", "ename": "CheckFailed", "evalue": "\x1b[31m✘ Ex: 2 problems to fix\n  1. a\n  2. b",
             "traceback": []}
    stderr = {"output_type": "stream", "name": "stderr", "text": ["W0000 noise\n", "more\n"]}
    stdout = {"output_type": "stream", "name": "stdout", "text": "✔ fine\n"}
    assert cell_message([stdout, error]) == "CheckFailed: ✘ Ex: 2 problems to fix"
    assert cell_message([error], lines=12) == "CheckFailed: ✘ Ex: 2 problems to fix\n  1. a\n  2. b"
    assert cell_message([stdout, stderr]) == "wrote to stderr: W0000 noise"
    assert cell_message([stdout]) == "" and error_name([stdout]) == ""
    assert error_name([stderr, error]) == "CheckFailed"
    long = {**error, "evalue": "x" * 500}
    assert len(cell_message([long])) == 300


def test_unknown_fields_and_statuses_from_old_logs():
    old = Result.from_dict({"id": "ps1/bob", "assignment": "ps1", "student": "bob", "status": "exploded",
                            "a_field_from_an_older_version": 1, "seconds": None})
    assert old.status is Status.FAILED and old.seconds == 0.0


def test_job_and_summary():
    job = Job("ps1", "ann", "abc", "not graded yet")
    assert job.id == "ps1/ann" and job.message() == {"id": "ps1/ann", "assignment": "ps1", "student": "ann"}
    failed = Result.failure(job, Status.TIMED_OUT, "killed after the hard time limit", sandboxed=True)
    summary = Summary(results=[Result("ps1", "bob", status=Status.GRADED), failed])
    assert summary.counts() == {"graded": 1, "timed_out": 1} and summary.ok
    summary.results.append(Result("ps1", "cy"))  # FAILED by default
    assert not summary.ok
    assert json.loads(json.dumps(summary.to_dict()))["results"][1]["status"] == "timed_out"
