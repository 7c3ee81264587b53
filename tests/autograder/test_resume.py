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

from tests.fixtures.autograder import fixture_course

STUDENTS = [f"s{i:02d}" for i in range(8)]


def start(root: Path, *extra: str) -> subprocess.Popen:
    """`autograder grade ps1` in its own session, as a terminal would run it."""
    return subprocess.Popen([sys.executable, "-m", "autograder.cli.main", "grade", "ps1", "--workers", "1",
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

    from autograder.core.coursedir import Course

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
                if kernel_running:  # the worker that adopted the kernel (or its sandbox's init)
                    victim = next((p for p in proc.parents() if "autograder.execute.worker" in " ".join(p.cmdline())), None)
                    break
            except psutil.Error:
                continue
        time.sleep(0.05)
    assert victim is not None and "autograder.execute.worker" in " ".join(victim.cmdline())
    victim.kill()
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, out + err
    latest = {r["student"]: r for r in records(root)}
    assert sorted(latest) == STUDENTS[:3] and all(r["status"] == "graded" for r in latest.values())
    assert max(r["attempt"] for r in latest.values()) == 2  # the killed one ran again
    assert len(records(root)) == 3


def grade_cli(root: Path, *extra: str) -> subprocess.CompletedProcess:
    return fixture_course.autograder("grade", "ps1", "--workers", "1", "--no-progress", *extra, cwd=root)


@pytest.mark.slow
def test_a_rerun_checks_the_gradebook_not_only_the_run_log(tmp_path):
    """A deleted gradebook, or one student's grades removed: the rerun grades exactly those, and says why."""
    root = fixture_course.prepare(tmp_path / "course", assignments=("ps1",))
    incoming = tmp_path / "incoming"
    for student in STUDENTS[:3]:
        fixture_course.write_submission(root, "ps1", "correct", incoming / f"{student}.ipynb")
    first = grade_cli(root, "--from", str(incoming))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "graded because: not graded yet: 3" in first.stdout

    (root / "gradebook.db").unlink()  # deleted behind the run log's back
    second = grade_cli(root)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "graded because: its grade is missing from the gradebook: 3" in second.stdout, second.stdout

    from autograder.core.coursedir import Course

    with Course(root).gradebook() as gb:
        assert sorted(s.student.id for s in gb.find_assignment("ps1").submissions) == STUDENTS[:3]
        gb.remove_submission("ps1", STUDENTS[1])
    third = grade_cli(root)
    assert third.returncode == 0, third.stdout + third.stderr
    assert f"its grade is missing from the gradebook: 1 ({STUDENTS[1]})" in third.stdout, third.stdout
    assert re.search(r"already graded \(skipped\)\W+2", third.stdout), third.stdout
    with Course(root).gradebook() as gb:
        assert {s.student.id: s.score for s in gb.find_assignment("ps1").submissions} == {s: 3.0 for s in STUDENTS[:3]}


@pytest.mark.slow
def test_files_changed_outside_an_import_are_reported_not_regraded(tmp_path):
    root = fixture_course.prepare(tmp_path / "course", assignments=("ps1",))
    incoming = tmp_path / "incoming"
    for student in STUDENTS[:2]:
        fixture_course.write_submission(root, "ps1", "blank", incoming / f"{student}.ipynb")
    assert grade_cli(root, "--from", str(incoming)).returncode == 0
    victim = root / "submitted" / STUDENTS[0] / "ps1" / "ps1.ipynb"
    fixture_course.write_submission(root, "ps1", "correct", victim)  # a classmate (or anyone) edits the file

    tampered = grade_cli(root)
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr  # a submission not graded: scripts notice
    assert "changed since they were recorded" in tampered.stdout and STUDENTS[0] in tampered.stdout
    assert "re-submitted" not in tampered.stdout and "[1/" not in tampered.stdout  # not silently regraded
    from autograder.core.coursedir import Course

    with Course(root).gradebook() as gb:
        assert gb.find_submission("ps1", STUDENTS[0]).score == 0.0

    # the student's real re-submission, through an import, is graded, and says so
    again = tmp_path / "again"
    fixture_course.write_submission(root, "ps1", "correct", again / f"{STUDENTS[0]}.ipynb")
    regraded = grade_cli(root, "--from", str(again))
    assert regraded.returncode == 0, regraded.stdout + regraded.stderr
    assert f"re-submitted since it was graded: 1 ({STUDENTS[0]})" in regraded.stdout, regraded.stdout
    with Course(root).gradebook() as gb:
        assert gb.find_submission("ps1", STUDENTS[0]).score == 3.0
