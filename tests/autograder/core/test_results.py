"""autograder.core.results: results survive JSON (worker replies, run log lines) with their types."""
from __future__ import annotations

import json

from autograder.core.results import Job, Result, Status, Summary


def test_a_result_round_trips_through_json():
    result = Result("ps1", "ann", status=Status.CRASHED, reason="ps1: the kernel died", seconds=1.5,
                    cells=[{"cell": "q1", "points": 1.0, "max_points": 1.0}], score=1.0, max_score=2.0,
                    isolation="sandboxed", executor="dask", host="node1")
    data = json.loads(json.dumps(result.to_dict()))
    assert data["status"] == "crashed" and data["id"] == "ps1/ann"
    again = Result.from_dict(data)
    assert again == result and again.status is Status.CRASHED


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
