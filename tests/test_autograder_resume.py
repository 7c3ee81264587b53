"""An interrupted grading run (kill -9 of the whole run, then Ctrl-C) loses and duplicates nothing."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "autograder"
sys.path.insert(0, str(FIXTURES))

import fixture_course  # noqa: E402

STUDENTS = [f"s{i:02d}" for i in range(8)]


def start(root: Path, *extra: str) -> subprocess.Popen:
    """`autograder grade ps1` in its own session, as a terminal would run it."""
    return subprocess.Popen([sys.executable, "-m", "autograder.cli", "grade", "ps1", "--workers", "1",
                             "--no-progress", *extra], cwd=root, env=fixture_course.cli_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def records(root: Path) -> list[dict]:
    path = root / ".autograder" / "ps1.jsonl"
    return [json.loads(l) for l in path.read_text().splitlines()] if path.exists() else []


def wait_for_records(root: Path, count: int, proc: subprocess.Popen, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while len(records(root)) < count:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "grading made no progress"
        time.sleep(0.1)


def processes_in(root: Path) -> list[psutil.Process]:
    """Workers, zygotes and kernels of this course (they all work inside it)."""
    found = []
    for proc in psutil.process_iter(["cwd"]):
        cwd = proc.info.get("cwd") or ""
        if cwd == str(root) or cwd.startswith(str(root) + os.sep):
            found.append(proc)
    return found


def wait_gone(root: Path, limit: float = 10) -> list[psutil.Process]:
    deadline = time.monotonic() + limit
    while (left := processes_in(root)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.mark.slow
def test_interrupted_runs_resume_without_loss_or_duplicates(tmp_path):
    root = fixture_course.prepare(tmp_path / "course", assignments=("ps1",))
    incoming = tmp_path / "incoming"
    for student in STUDENTS:
        fixture_course.write_submission(root, "ps1", "slow", incoming / f"{student}.ipynb")

    # 1. kill -9 the whole run after two submissions are graded
    first = start(root, "--from", str(incoming))
    wait_for_records(root, 2, first)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert not wait_gone(root), "workers, zygotes or kernels outlived the killed run"
    after_kill = {r["student"] for r in records(root)}

    # 2. Ctrl-C (SIGINT) a resumed run after one more submission
    second = start(root)
    wait_for_records(root, len(records(root)) + 1, second)
    os.killpg(second.pid, signal.SIGINT)
    out, err = second.communicate(timeout=60)
    assert second.returncode == 130, out + err
    assert "Interrupted" in out and "run the same command again" in out
    assert not wait_gone(root)
    after_interrupt = {r["student"] for r in records(root)}
    assert after_kill < after_interrupt

    # 3. the last run grades only what is missing
    third = start(root)
    out, err = third.communicate(timeout=300)
    assert third.returncode == 0, out + err
    graded_now = {r["student"] for r in records(root)} - after_interrupt
    assert graded_now == set(STUDENTS) - after_interrupt
    skipped = re.search(r"already graded \(skipped\)\W+(\d+)", out)
    assert skipped and int(skipped.group(1)) == len(after_interrupt), out

    from autograder.coursedir import Course

    with Course(root).gradebook() as gb:
        submissions = gb.find_assignment("ps1").submissions
        ids = [s.student.id for s in submissions]
        assert sorted(ids) == STUDENTS  # every student once
        for submission in submissions:
            assert submission.score == 3.0, submission.student.id


@pytest.mark.slow
def test_a_worker_killed_mid_submission_is_replaced_and_the_submission_retried(tmp_path):
    root = fixture_course.prepare(tmp_path / "course", assignments=("ps1",))
    incoming = tmp_path / "incoming"
    for student in STUDENTS[:3]:
        fixture_course.write_submission(root, "ps1", "slow", incoming / f"{student}.ipynb")
    run = start(root, "--from", str(incoming))
    deadline = time.monotonic() + 120
    victim = None
    while victim is None and time.monotonic() < deadline:
        for proc in processes_in(root):
            try:
                kernel_running = "autograded" in (proc.cwd() or "")
                if kernel_running:
                    victim = psutil.Process(proc.ppid())  # the kernel's adoptive parent: its worker
                    break
            except psutil.Error:
                continue
        time.sleep(0.05)
    assert victim is not None and "autograder.worker" in " ".join(victim.cmdline())
    victim.kill()
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, out + err
    latest = {r["student"]: r for r in records(root)}
    assert sorted(latest) == STUDENTS[:3] and all(r["status"] == "graded" for r in latest.values())
    assert max(r["attempt"] for r in latest.values()) == 2  # the killed one ran again
    assert len(records(root)) == 3
