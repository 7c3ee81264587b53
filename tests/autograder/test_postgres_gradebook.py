"""A PostgreSQL gradebook: `autograder` commands and nbgrader's own API work against it.

The tests start a real PostgreSQL server on 127.0.0.1 (tests/postgres_server.py), point the
fixture course's ``CourseDirectory.db_url`` at it, grade a small class with two local workers
(or a real Dask cluster), and compare every per-cell score, late penalty, manual-grading flag
and crash flag with the same class graded into the default SQLite gradebook; the server's
own statistics count the transactions a run commits.
"""
from __future__ import annotations

import csv
import sys
import warnings
from pathlib import Path

import pytest

from tests.autograder.executors.test_dask import cluster  # noqa: F401 - the real Dask cluster fixture
from tests.fixtures.autograder import fixture_course
from tests.fixtures.autograder.fixture_course import autograder
from tests.postgres_server import postgres_server

CLASS = {"alice": "correct", "bob": "partial", "carol": "blank", "dan": "wrong", "eve": "correct"}


def use_database(course: Path, url: str) -> None:
    """Point the course's nbgrader_config.py at ``url`` (appended, so it wins)."""
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.CourseDirectory.db_url = {url!r}\n")


def grade_class(root: Path) -> dict[str, dict[str, float | None]]:
    incoming = root.parent / f"{root.name}-incoming"
    for student, variant in CLASS.items():
        fixture_course.write_submission(root, "ps1", variant, incoming / student / "ps1" / "ps1.ipynb")
    run = autograder("grade", "ps1", "--from", str(incoming), "--workers", "2", "--no-progress", cwd=root)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "database is locked" not in run.stdout + run.stderr
    from autograder.core.coursedir import Course

    out: dict[str, dict[str, float | None]] = {}
    with Course(root).gradebook() as gb:
        for submission in gb.find_assignment("ps1").submissions:
            out[submission.student.id] = {g.name: g.score for nb in submission.notebooks for g in nb.grades}
    return out


@pytest.mark.slow
def test_postgres_gradebook_grades_exports_and_reports_like_sqlite(tmp_path):
    sqlite_root = fixture_course.prepare(tmp_path / "sqlite", assignments=("ps1",))
    expected = grade_class(sqlite_root)
    assert expected["alice"] == {"test_add": 1, "test_mean": 2}

    with postgres_server() as url:
        root = fixture_course.make_course(tmp_path / "pg")
        use_database(root, url)
        _generate(root, "ps1")
        from autograder.core.coursedir import Course

        assert Course(root).db_url.startswith("postgresql")
        assert grade_class(root) == expected
        assert not (root / "gradebook.db").exists()

        # exports, report and feedback read the same server
        for command in (("export",), ("report", "ps1"), ("feedback", "ps1", "--student", "bob")):
            run = autograder(*command, cwd=root)
            assert run.returncode == 0, (command, run.stdout + run.stderr)
        rows = {r["student_id"]: r for r in csv.DictReader(open(root / "exports" / "ps1_grades.csv"))}
        assert {s: float(rows[s]["raw_score"]) for s in CLASS} == \
               {s: float(sum(v or 0 for v in cells.values())) for s, cells in expected.items()}

        # the formgrader's API (what its pages call) sees the grades
        from nbgrader.apps import NbGraderAPI

        from autograder.core.coursedir import working_directory

        course = Course(root)
        with working_directory(root):
            api = NbGraderAPI(config=course.config)
            submissions = {s["student"]: s for s in api.get_submissions("ps1")}
        assert submissions["alice"]["score"] == 3 and submissions["carol"]["score"] == 0

        # a rerun finds every grade in the server and grades nothing
        again = autograder("grade", "ps1", "--no-progress", cwd=root)
        assert again.returncode == 0 and "[1/" not in again.stdout, again.stdout


def _generate(root: Path, assignment: str) -> None:
    from nbgrader.apps import NbGraderAPI

    from autograder.core.coursedir import Course, working_directory

    course = Course(root)
    with working_directory(root):
        result = NbGraderAPI(config=course.config).generate_assignment(assignment, force=True)
    assert result["success"], result.get("log")


READER = """
import json, sys, time
from pathlib import Path
from nbgrader.apps import NbGraderAPI
from autograder.core.coursedir import Course

root, stop = Path(sys.argv[1]), Path(sys.argv[2])
config = Course(root).config
config.CourseDirectory.root = str(root)
while True:  # at least one read, even if asked to stop at once
    try:
        submissions = NbGraderAPI(config=config).get_submissions("ps1")
        print(json.dumps({"graded": sum(1 for s in submissions if s.get("autograded"))}), flush=True)
    except Exception as error:
        print(json.dumps({"error": repr(error)}), flush=True)
    if stop.exists():
        break
    time.sleep(0.3)
"""


class FormgraderReader:
    """Another process (as the formgrader is) that reads the gradebook through the formgrader's
    API, what its pages call, over and over while a run writes into it: its errors, its reads,
    and how many submissions each read saw graded."""

    def __init__(self, root: Path):
        self.root, self.errors, self.graded = root, [], []
        self.stop = root.parent / f"{root.name}-stop-reading"

    @property
    def reads(self) -> int:
        return len(self.graded)

    def __enter__(self) -> "FormgraderReader":
        import subprocess

        from tests.fixtures.autograder.fixture_course import cli_env
        self.stop.unlink(missing_ok=True)
        self.process = subprocess.Popen([sys.executable, "-c", READER, str(self.root), str(self.stop)],
                                        env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return self

    def __exit__(self, *exc) -> None:
        import json

        self.stop.touch()
        out, err = self.process.communicate(timeout=120)
        assert self.process.returncode == 0, err[-2000:]
        for line in out.splitlines():
            record = json.loads(line)
            if "error" in record:
                self.errors.append(record["error"])
            else:
                self.graded.append(record["graded"])


DASK_CLASS = {"ann": "correct", "ben": "partial", "dan": "wrong", "eve": "crash", "fay": "blank", "gus": "correct"}


def commits(url: str) -> int:
    """Transactions committed in the gradebook's database so far (PostgreSQL's own statistics)."""
    import time

    from sqlalchemy import create_engine, text

    time.sleep(1.2)  # a server process reports its counters at most once a second
    engine = create_engine(url)
    try:
        with engine.connect() as db:
            db.execute(text("SELECT pg_stat_clear_snapshot()"))
            return int(db.execute(text(
                "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")).scalar())
    finally:
        engine.dispose()


def export_rows(root: Path) -> list[dict]:
    """`nbgrader export` (stock, its own process) of the course's gradebook, as CSV rows by student."""
    import os
    import subprocess

    from tests.fixtures.autograder.fixture_course import SCRIPTS, cli_env
    out = root / "stock_export.csv"
    done = subprocess.run([os.path.join(SCRIPTS, "nbgrader"), "export", "--to", str(out)], cwd=root,
                          env=cli_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return sorted(csv.DictReader(open(out)), key=lambda r: r["student_id"])


@pytest.mark.slow
def test_a_dask_run_records_into_postgres_in_batches_and_stock_nbgrader_reads_it(tmp_path, cluster):  # noqa: F811
    """A real Dask cluster grades into a real PostgreSQL gradebook: the instructor side records
    replayed submissions a batch per transaction (far fewer commits than submissions x graded
    cells), and stock `nbgrader export` reads the same grades as the SQLite gradebook's."""
    from autograder.core.coursedir import Course
    from autograder.grading import grade, grade_on_dask
    from tests.autograder.executors.test_dask import scores, submit

    sqlite_root = fixture_course.prepare(tmp_path / "sqlite", assignments=("ps1",))
    for student, variant in DASK_CLASS.items():
        submit(sqlite_root, "ps1", student, variant)
    local = grade(Course(sqlite_root), ["ps1"], workers=2, notebook_timeout=30)
    assert local.ok and len(local.results) == len(DASK_CLASS)

    with postgres_server() as url:
        root = fixture_course.make_course(tmp_path / "pg")
        use_database(root, url)
        _generate(root, "ps1")
        for student, variant in DASK_CLASS.items():
            submit(root, "ps1", student, variant)
        before = commits(url)
        run = grade_on_dask(Course(root), ["ps1"], scheduler=cluster, notebook_timeout=30)
        spent = commits(url) - before
        assert run.ok and sorted(r.student for r in run.results) == sorted(DASK_CLASS)
        assert {r.student: r.status for r in run.results} == {r.student: r.status for r in local.results}
        print(f"{spent} commits for {len(DASK_CLASS)} submissions")
        # nbgrader's own autograde of one submission against PostgreSQL opens about ten gradebook
        # sessions (4 commits each just to open) and commits once per graded cell: measured 38
        # commits per ps1 submission. Batched: planning (3 sessions), one session for the
        # recording, one commit per batch.
        assert spent <= 16 + len(DASK_CLASS), spent
        assert scores(root, "ps1") == scores(sqlite_root, "ps1")
        assert not (root / "gradebook.db").exists()
        # the formgrader's API reads the server gradebook while a distributed run writes into it
        with FormgraderReader(root) as reader:
            again = grade_on_dask(Course(root), ["ps1"], scheduler=cluster, notebook_timeout=30, force=True)
        assert again.ok and len(again.results) == len(DASK_CLASS)
        assert reader.errors == [] and reader.reads >= 3, (reader.errors, reader.reads)
        assert reader.graded and all(n == len(DASK_CLASS) for n in reader.graded), reader.graded  # never a gap
        assert scores(root, "ps1") == scores(sqlite_root, "ps1")
        pg_rows = export_rows(root)
    sqlite_rows = export_rows(sqlite_root)
    assert len(pg_rows) == len(DASK_CLASS) and pg_rows == sqlite_rows
    assert {r["student_id"]: float(r["raw_score"]) for r in pg_rows}["ann"] == 3.0


LOCAL_CLASS = {"ann": "partial", "ben": "correct", "cy": "wrong", "dee": "crash", "eli": "blank", "fay": "correct"}
DUE = "2026-11-20 10:00:00 UTC"  # every submission is stamped 10:15: late, but fay has an extension


def class_with_history(root: Path) -> None:
    """The local class of ps1: a due date, late submissions with penalties, fay's extension,
    and a manual grade on ann's add test given before any autograding."""
    from nbgrader.api import Gradebook

    from autograder.core.coursedir import Course
    from tests.autograder.executors.test_dask import submit

    with open(root / "nbgrader_config.py", "a") as handle:
        handle.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    for student, variant in LOCAL_CLASS.items():
        submit(root, "ps1", student, variant)
    course = Course(root)
    with Gradebook(course.db_url, course.course_id) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbgrader's add_submission makes SQLAlchemy warn
        gb.update_or_create_assignment("ps1", duedate=DUE)
        for student in ("ann", "fay"):
            gb.update_or_create_student(student)
            gb.add_submission("ps1", student)
        gb.find_grade("test_add", "ps1", "ps1", "ann").manual_score = 0.5
        gb.db.commit()
        gb.grant_extension("ps1", "fay", minutes=30)


@pytest.mark.slow
def test_a_local_run_writes_a_postgres_gradebook_in_batches_as_nbgrader_writes_sqlite(tmp_path):
    """The local executor into a real PostgreSQL gradebook: the same per-cell scores, late penalties,
    manual grading and crash flags as the same class graded into SQLite (and as stock `nbgrader
    autograde`, but for the crashed notebook), read back from the gradebook and by stock `nbgrader
    export`, in far fewer transactions than one per graded cell; and no run log line before its
    grades are committed."""
    import os
    import shutil
    import subprocess

    from sqlalchemy import create_engine, text

    from autograder.core.coursedir import Course
    from autograder.grading import grade
    from autograder.record.runlog import RunLog
    from tests.autograder.executors.test_dask import scores
    from tests.fixtures.autograder.fixture_course import SCRIPTS, cli_env

    sqlite_root = fixture_course.prepare(tmp_path / "sqlite", assignments=("ps1",))
    class_with_history(sqlite_root)
    stock_root = Path(shutil.copytree(sqlite_root, tmp_path / "stock"))
    shutil.rmtree(stock_root / "submitted" / "dee")  # stock nbgrader fails a notebook whose kernel dies
    local = grade(Course(sqlite_root), ["ps1"], workers=2, notebook_timeout=30)
    assert len(local.results) == len(LOCAL_CLASS)
    expected = scores(sqlite_root, "ps1")
    assert expected["ann"]["cells"]["test_add"] == (0.5, True)  # the manual grade keeps it in manual grading
    assert expected["ann"]["late"] > 0 and expected["fay"]["late"] == 0  # late; extended
    assert expected["dee"]["flagged"] == ["ps1"]  # crashed
    stock = subprocess.run([os.path.join(SCRIPTS, "nbgrader"), "autograde", "ps1"], cwd=stock_root, env=cli_env(),
                           capture_output=True, text=True, timeout=600)
    assert stock.returncode == 0, stock.stderr[-2000:]
    assert scores(stock_root, "ps1") == {s: v for s, v in expected.items() if s != "dee"}

    with postgres_server() as url:
        root = fixture_course.make_course(tmp_path / "pg")
        use_database(root, url)
        _generate(root, "ps1")
        class_with_history(root)
        engine = create_engine(url)
        committed_first: list[bool] = []

        def on_result(result, done, total):  # the run log has the line: the gradebook must have the grade
            with engine.connect() as db:
                committed_first.append(db.execute(text(
                    "SELECT count(*) FROM grade JOIN submitted_notebook n ON grade.notebook_id = n.id "
                    "JOIN submitted_assignment s ON n.assignment_id = s.id "
                    "WHERE s.student_id = :s AND grade.auto_score IS NOT NULL"), {"s": result.student}).scalar() == 2)

        course = Course(root)
        before = commits(url)
        run = grade(course, ["ps1"], workers=2, notebook_timeout=30, on_result=on_result)
        spent = commits(url) - before
        engine.dispose()
        assert {r.student: r.status for r in run.results} == {r.student: r.status for r in local.results}
        assert committed_first == [True] * len(LOCAL_CLASS)
        print(f"{spent} commits for {len(LOCAL_CLASS)} submissions graded by the local executor")
        # nbgrader's own autograde into PostgreSQL: about 38 commits per ps1 submission (one per
        # graded cell, four per gradebook session it opens). Batched: planning, then one per batch.
        assert spent <= 16 + len(LOCAL_CLASS), spent
        assert scores(root, "ps1") == expected
        assert {r.student for r in RunLog(course, "ps1").records()} == set(LOCAL_CLASS)
        assert not (root / "gradebook.db").exists()
        pg_rows = export_rows(root)
        again = grade(course, ["ps1"], workers=2, notebook_timeout=30)  # everything is in the gradebook
        assert not again.results and len(again.skipped) == len(LOCAL_CLASS)
    assert pg_rows == export_rows(sqlite_root)


@pytest.mark.slow
@pytest.mark.parametrize("isolation", ["sandboxed", "unsandboxed"])
def test_a_run_killed_before_its_batch_is_committed_loses_nothing(tmp_path, isolation):
    """kill -9 of a local run into PostgreSQL while results wait for their batch: every run log line
    has its grades in the gradebook already (commit first, then the log), and the rerun grades exactly
    what is missing, each student once. Nothing is left outside the course (an unsandboxed worker's
    scratch gradebook is in the run's folder, which the rerun removes)."""
    import os
    import signal
    import tempfile
    import time

    from autograder.core.coursedir import Course
    from autograder.record.runlog import RunLog
    from tests.autograder.test_resume import STUDENTS, records, start, wait_for_records, wait_gone

    with postgres_server() as url:
        root = fixture_course.make_course(tmp_path / "pg")
        use_database(root, url)
        _generate(root, "ps1")
        incoming = tmp_path / "incoming"
        for student in STUDENTS:
            fixture_course.write_submission(root, "ps1", "slow", incoming / f"{student}.ipynb")
        in_tmp = set(Path(tempfile.gettempdir()).glob("autograder-*gradebook*"))
        first = start(root, "--from", str(incoming), *(["--unsandboxed"] if isolation == "unsandboxed" else []))
        wait_for_records(root, 2, first)
        time.sleep(1.0)  # the next result has arrived and waits for its batch (flushed every 2 s)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        assert not wait_gone(root), "workers, zygotes or kernels outlived the killed run"
        left = list((root / ".autograder").glob("gradebook-scratch-*"))
        assert [p.name for p in left] == [f"gradebook-scratch-{first.pid}"]  # in the course, not in /tmp
        workers = [p.name for p in left[0].glob("worker-*")]
        assert len(workers) == (1 if isolation == "unsandboxed" else 0), workers  # sandboxed: in its tmpfs
        assert set(Path(tempfile.gettempdir()).glob("autograder-*gradebook*")) <= in_tmp

        def graded() -> dict[str, float]:
            with Course(root).gradebook() as gb:
                return {s.student.id: s.score for s in gb.find_assignment("ps1").submissions
                        if all(g.auto_score is not None for nb in s.notebooks for g in nb.grades)}

        logged = {r["student"] for r in records(root)}
        assert logged and logged <= set(graded())  # nothing logged as graded without its grades
        second = start(root)
        out, err = second.communicate(timeout=300)
        assert second.returncode == 0, out + err
        assert graded() == {s: 3.0 for s in STUDENTS}
        latest = RunLog(Course(root), "ps1").latest()
        assert sorted(latest) == STUDENTS and all(r.status == "graded" for r in latest.values())
        assert {r["student"] for r in records(root)[len(logged):]} == set(STUDENTS) - logged
        assert list((root / ".autograder").glob("gradebook-scratch-*")) == []  # the killed run's removed too
