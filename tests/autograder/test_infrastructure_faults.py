"""Grading survives its own infrastructure failing (issue 21, part 3).

Five faults, each with the real thing, each ending with every student graded exactly once after
a rerun and a message that names what happened and what the rerun does:

1. the PostgreSQL gradebook server restarted in the middle of a run;
2. the Dask scheduler restarted in the middle of a run;
3. a Dask worker killed while it holds results not yet recorded
   (``tests/autograder/executors/test_dask.py``, beside the cluster fixture it shares);
4. the course folder's disk full while grading (a small tmpfs mounted here);
5. the SQLite gradebook locked by a formgrader session during a run.

Every class is the fixture course's plain-Python ``ps1`` (3 points), a few students.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from tests.fixtures.autograder import fixture_course

pytestmark = pytest.mark.slow


def start(root: Path, *extra: str) -> subprocess.Popen:
    """`autograder grade ps1` as a terminal would run it (its own session, output captured)."""
    return subprocess.Popen([sys.executable, "-m", "autograder.cli.main", "grade", "ps1", "--no-progress", *extra],
                            cwd=root, env=fixture_course.cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def log_lines(root: Path) -> list[str]:
    path = root / ".autograder" / "ps1.jsonl"
    return path.read_text().splitlines() if path.exists() else []


def wait_for_lines(root: Path, count: int, proc: subprocess.Popen, limit: float = 180) -> None:
    deadline = time.monotonic() + limit
    while len(log_lines(root)) < count:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "grading made no progress"
        time.sleep(0.05)


def graded_once(root: Path, students: list[str], manual: dict[str, float] | None = None) -> None:
    """Every student graded exactly once: one submission each in the gradebook, all 3 points (or
    ``manual``'s score for ``test_add``, a manual grade given meanwhile), and the run log's every line
    whole, its latest line per student 'graded'."""
    from autograder.core.coursedir import Course
    from autograder.record.runlog import RunLog

    course = Course(root)
    with course.gradebook() as gb:
        submissions = gb.find_assignment("ps1").submissions
        assert sorted(s.student.id for s in submissions) == sorted(students)
        assert {s.student.id: s.score for s in submissions} == {s: 2.0 + (manual or {}).get(s, 1.0) for s in students}
    lines = log_lines(root)
    assert all(json.loads(line) for line in lines)  # no line cut short
    latest = RunLog(course, "ps1").latest()
    assert sorted(latest) == sorted(students) and {r.status for r in latest.values()} == {"graded"}


def incoming(root: Path, students: list[str], variant: str = "slow") -> Path:
    folder = root.parent / f"{root.name}-incoming"
    for student in students:
        fixture_course.write_submission(root, "ps1", variant, folder / f"{student}.ipynb")
    return folder


# -- 1. the PostgreSQL gradebook server restarted -----------------------------------------
def restart_postgres(url: str) -> None:
    """``pg_ctl restart -m fast`` of the server behind ``url`` (tests/postgres_server.py started it):
    every connection is closed, and the server is back on the same port a second or two later."""
    from sqlalchemy import create_engine, text

    from tests.postgres_server import server_binaries

    engine = create_engine(url)
    try:
        with engine.connect() as db:
            data = Path(db.execute(text("SHOW data_directory")).scalar())
    finally:
        engine.dispose()
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    done = subprocess.run([*prefix, str(server_binaries() / "pg_ctl"), "-D", str(data), "-l",
                           str(data.parent / "server.log"), "-m", "fast", "-w", "restart"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_postgres_restarted_mid_run_the_run_reconnects_and_loses_nothing(tmp_path):
    """The PostgreSQL gradebook server restarts (every connection closed) after two submissions are
    logged: the run says it lost the connection and waits, says the server is back, and goes on; every
    student is graded once, and a rerun finds every grade in the server and grades nothing."""
    from tests.autograder.test_postgres_gradebook import _generate, use_database
    from tests.postgres_server import postgres_server

    students = [f"s{i}" for i in range(5)]
    with postgres_server() as url:
        root = fixture_course.make_course(tmp_path / "pg")
        use_database(root, url)
        _generate(root, "ps1")
        run = start(root, "--from", str(incoming(root, students)), "--workers", "1")
        wait_for_lines(root, 2, run)
        restart_postgres(url)
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, out + err
        message = " ".join(err.split())
        assert "autograder: lost the connection to the gradebook server postgresql+psycopg://" in message, message
        assert "waiting up to 60 s for it to come back (a restart), then the run goes on" in message, message
        assert re.search(r"the gradebook server is back after \d+ s: the run goes on, nothing was lost", message)
        assert "Traceback" not in err, err
        graded_once(root, students)
        again = start(root)
        out, err = again.communicate(timeout=300)
        assert again.returncode == 0 and "[1/" not in out, out + err
        graded_once(root, students)


# -- 4. the course folder's disk full ------------------------------------------------------
@contextlib.contextmanager
def small_disk(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``path`` (as root), unmounted afterwards, also on failure."""
    if os.geteuid() != 0:
        pytest.fail("mounting a small disk for the course needs root (the grading tests run as root)")
    path.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], check=True)


def fill(folder: Path) -> Path:
    """Fill the disk holding ``folder`` to its last byte; the filler file."""
    filler = folder / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for size in (1 << 16, 512, 1):  # then the last crumbs
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    with pytest.raises(OSError) as full:
        os.write(os.open(folder / "more.bin", os.O_WRONLY | os.O_CREAT), b"\0" * 4096)
    assert full.value.errno == errno.ENOSPC
    return filler


def test_course_disk_full_mid_run_stops_saying_so_and_the_rerun_grades_the_rest(tmp_path):
    students = [f"s{i}" for i in range(5)]
    with small_disk(tmp_path / "disk", "8m") as disk:
        root = fixture_course.prepare(disk / "course", assignments=("ps1",))
        run = start(root, "--from", str(incoming(root, students)), "--workers", "1")
        wait_for_lines(root, 1, run)
        fill(disk)
        out, err = run.communicate(timeout=300)
        saved = {json.loads(line)["student"] for line in log_lines(root)}
        assert run.returncode != 0 and len(saved) < len(students), out + err
        message = " ".join((out + err).split())
        assert f"the disk holding the course folder ({root}) is full" in message, message
        assert re.search(r"Free some space, then run the same command again: it grades the \d+ not saved", message), message
        assert "Traceback" not in err, err

        for path in disk.glob("*.bin"):
            path.unlink()
        again = start(root)
        out, err = again.communicate(timeout=300)
        assert again.returncode == 0, out + err
        graded_once(root, students)


# -- 5. the SQLite gradebook locked by a formgrader session -------------------------------
class FormgraderSave(threading.Thread):
    """Another connection that saves a manual grade as the formgrader does (an UPDATE of a grade
    row in a transaction), and holds the write lock until told to commit."""

    def __init__(self, gradebook: Path, student: str):
        super().__init__(daemon=True)
        self.gradebook, self.student = gradebook, student
        self.locked, self.release = threading.Event(), threading.Event()

    def run(self) -> None:
        db = sqlite3.connect(self.gradebook, timeout=60, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")  # the write lock, as the formgrader's UPDATE takes it
            changed = db.execute(
                "UPDATE grade SET manual_score = 0.5 WHERE id = (SELECT grade.id FROM grade "
                "JOIN base_cell cell ON grade.cell_id = cell.id JOIN submitted_notebook n ON grade.notebook_id = n.id "
                "JOIN submitted_assignment s ON n.assignment_id = s.id "
                "WHERE s.student_id = ? AND cell.name = 'test_add')", (self.student,)).rowcount
            assert changed == 1
            self.locked.set()
            self.release.wait(300)
            db.execute("COMMIT")
        finally:
            db.close()


def test_gradebook_locked_by_a_formgrader_during_a_run_loses_nothing(tmp_path):
    """A formgrader session holds the SQLite gradebook's write lock past the grader's wait (here 2 s a
    try, so the test is quick; 120 s by default): the submission being graded is listed as not saved
    because the gradebook stayed locked, the others are graded once the lock is gone, the manual grade
    the formgrader saved is kept, and the rerun grades the one not saved."""
    students = [f"s{i}" for i in range(4)]
    root = fixture_course.prepare(tmp_path / "course", assignments=("ps1",))
    gradebook = root / "gradebook.db"
    with open(root / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.CourseDirectory.db_url = {('sqlite:///' + str(gradebook) + '?timeout=2')!r}\n")
    run = start(root, "--from", str(incoming(root, students)), "--workers", "1")
    wait_for_lines(root, 1, run)
    first = json.loads(log_lines(root)[0])["student"]
    formgrader = FormgraderSave(gradebook, first)
    formgrader.start()
    try:
        assert formgrader.locked.wait(60)
        deadline = time.monotonic() + 240
        while not any(json.loads(line)["status"] == "failed" for line in log_lines(root)):
            assert run.poll() is None and time.monotonic() < deadline, run.communicate()
            time.sleep(0.1)
    finally:
        formgrader.release.set()
        formgrader.join(60)
    out, err = run.communicate(timeout=300)
    assert run.returncode == 1, out + err
    failed = [json.loads(line) for line in log_lines(root) if json.loads(line)["status"] == "failed"]
    assert len(failed) == 1, failed
    message = " ".join(out.split())
    assert (f"not saved: the gradebook ({gradebook}) stayed locked by another program (a formgrader saving a "
            "grade, an open sqlite3 session) past the wait; the next run grades it again") in message, message
    assert "Traceback" not in err, err

    again = start(root)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, out + err
    assert f"[1/1] {failed[0]['student']}" in out or failed[0]["student"] in out, out
    graded_once(root, students, manual={first: 0.5})
