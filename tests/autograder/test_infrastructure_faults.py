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
import signal
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


def communicate(proc: subprocess.Popen, timeout: float = 300) -> tuple[str, str]:
    """The run's output once it ends; a run that does not end in ``timeout`` s is killed (no leftovers), and fails."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"the run did not end within {timeout:.0f} s:\n{out[-3000:]}{err[-3000:]}")


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
        out, err = communicate(run)
        assert run.returncode == 0, out + err
        message = " ".join(err.split())
        assert "autograder: lost the connection to the gradebook server postgresql+psycopg://" in message, message
        assert "waiting up to 60 s for it to come back (a restart), then the run goes on" in message, message
        assert re.search(r"the gradebook server is back after \d+ s: the run goes on, nothing was lost", message)
        assert "Traceback" not in err, err
        graded_once(root, students)
        again = start(root)
        out, err = communicate(again)
        assert again.returncode == 0 and "[1/" not in out, out + err
        graded_once(root, students)


# -- 2. the Dask scheduler restarted ---------------------------------------------------------
class Cluster:
    """``dask scheduler`` on a fixed port and ``dask worker --nthreads 1`` processes, which can be
    started again after a crash (as a supervisor such as systemd would); every process stopped at the end."""

    def __init__(self, folder: Path, workers: int = 2):
        from tests.conftest import find_free_port

        self.folder, self.workers, self.port = folder, workers, find_free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        self.scheduler: subprocess.Popen | None = None
        self.log = open(folder / "cluster.log", "a")

    def start(self) -> None:
        from distributed import Client

        dask = os.path.join(fixture_course.SCRIPTS, "dask")
        spawn = lambda *args: subprocess.Popen([dask, *args], stdout=self.log, stderr=self.log,  # noqa: E731
                                               env=fixture_course.cli_env(), start_new_session=True)
        self.scheduler = spawn("scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard")
        self.procs.append(self.scheduler)
        for _ in range(self.workers):
            self.procs.append(spawn("worker", self.address, "--nthreads", "1", "--no-dashboard",
                                    "--local-directory", str(self.folder / f"w{len(self.procs)}")))
        with Client(self.address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(self.workers, timeout=120)

    def crash_scheduler(self) -> None:
        """``kill -9`` of the scheduler (its workers end themselves when they lose it)."""
        assert self.scheduler is not None
        os.killpg(self.scheduler.pid, signal.SIGKILL)
        self.scheduler.wait()

    def stop(self) -> None:
        for proc in reversed(self.procs):
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.log.close()


def test_dask_scheduler_restarted_mid_run_the_rest_is_listed_and_the_rerun_grades_it(tmp_path):
    """The Dask scheduler is killed after two submissions are logged, and started again on its port with
    new workers (as a supervisor would). The run says the connection to the scheduler was lost, how many
    were recorded and that the next run grades the others; it lists each of those as not graded (exit 1),
    without hanging; the rerun on the restarted cluster grades exactly those, every student once."""
    students = [f"s{i}" for i in range(6)]
    root = fixture_course.prepare(tmp_path / "course", assignments=("ps1",))
    (tmp_path / "dask").mkdir()
    cluster = Cluster(tmp_path / "dask")
    try:
        cluster.start()
        run = start(root, "--from", str(incoming(root, students)), "--scheduler", cluster.address)
        wait_for_lines(root, 2, run)
        cluster.crash_scheduler()
        cluster.start()
        out, err = communicate(run)
        assert run.returncode == 1, out + err
        logged = [json.loads(line) for line in log_lines(root)]
        graded = {r["student"] for r in logged if r["status"] == "graded"}
        not_graded = {r["student"] for r in logged if r["status"] == "failed"}
        assert len(graded) >= 2 and graded | not_graded == set(students) and not graded & not_graded, logged
        message = " ".join(err.split())
        assert (f"autograder: the connection to the Dask scheduler at {cluster.address} was lost (it stopped or "
                f"restarted, and its workers with it). {len(graded)} of {len(students)} submissions were recorded; "
                f"the {len(not_graded)} others are listed as not graded, and the next run (the same command, once "
                "the scheduler and its workers are back) grades them") in message, message
        assert "the next run grades it again" in " ".join(out.split()), out
        assert not re.search(r'File ".*/autograder/', err), err  # (distributed logs its reconnection attempts)

        again = start(root, "--scheduler", cluster.address)
        out, err = communicate(again)
        assert again.returncode == 0, out + err
        rerun = [json.loads(line) for line in log_lines(root)][len(logged):]
        assert sorted(r["student"] for r in rerun) == sorted(not_graded), rerun
        graded_once(root, students)
    finally:
        cluster.stop()


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
        out, err = communicate(run)
        saved = {json.loads(line)["student"] for line in log_lines(root)}
        assert run.returncode != 0 and len(saved) < len(students), out + err
        message = " ".join((out + err).split())
        assert f"the disk holding the course folder ({root}) is full" in message, message
        assert re.search(r"Free some space, then run the same command again: it grades the \d+ not saved", message), message
        assert "Traceback" not in err, err

        for path in disk.glob("*.bin"):
            path.unlink()
        again = start(root)
        out, err = communicate(again)
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
    out, err = communicate(run)
    assert run.returncode == 1, out + err
    failed = [json.loads(line) for line in log_lines(root) if json.loads(line)["status"] == "failed"]
    assert len(failed) == 1, failed
    message = " ".join(out.split())
    assert (f"not saved: the gradebook ({gradebook}) stayed locked by another program (a formgrader saving a "
            "grade, an open sqlite3 session) past the wait; the next run grades it again") in message, message
    assert "Traceback" not in err, err

    again = start(root)
    out, err = communicate(again)
    assert again.returncode == 0, out + err
    assert f"[1/1] {failed[0]['student']}" in out or failed[0]["student"] in out, out
    graded_once(root, students, manual={first: 0.5})
