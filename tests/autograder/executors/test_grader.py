"""autograder.executors.grader: the grading process both executors drive, and what it says when it cannot start."""
from __future__ import annotations

import queue

from autograder.core.results import Job
from autograder.executors.grader import GraderProcess, grader_env


def test_a_grader_that_cannot_start_says_why(tmp_path):
    setup = {"course": str(tmp_path / "no-such-course"), "warm": False, "sandbox": False}
    grader = GraderProcess(setup, grader_env(1), queue.Queue(), cwd=tmp_path, log=tmp_path / "grader.log")
    reply, why = grader.ask(Job("ps1", "ann"), timeout=60)
    assert reply is None and why.startswith("the grader did not start (exit code 1)")
    assert "nbgrader_config.py" in why  # the grader's last words: not a course directory
    assert not grader.alive() and grader.job is None


def test_thread_settings():
    env = grader_env(3)
    assert env["COURSE_TF_THREADS"] == "3" and env["PYTHONUNBUFFERED"] == "1"
    import os

    os.environ["OMP_NUM_THREADS"] = "8"
    try:
        assert grader_env(2)["OMP_NUM_THREADS"] == "8"  # this machine's setting is kept
        assert grader_env(2, force=True)["OMP_NUM_THREADS"] == "2"  # a Dask worker's is not
    finally:
        del os.environ["OMP_NUM_THREADS"]


def test_a_grader_without_a_log_file_still_says_why_it_could_not_start(tmp_path):
    setup = {"course": str(tmp_path / "no-such-course"), "warm": False, "sandbox": False}
    grader = GraderProcess(setup, grader_env(1), queue.Queue(), cwd=tmp_path)
    reply, why = grader.ask(Job("ps1", "ann"), timeout=60)
    assert reply is None and "nbgrader_config.py" in why, why
