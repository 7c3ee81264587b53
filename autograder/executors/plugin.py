"""On each Dask worker: a scratch course and a warm grader that grades one submission at a time.

:class:`GraderPlugin` is a ``distributed.WorkerPlugin``. When the instructor's run
registers it, every Dask worker writes a scratch course directory from the bytes the
plugin carries: the course's ``nbgrader_config.py`` (pointed at the scratch folder and
its own SQLite gradebook), the assignments' source files, and a gradebook in which
``nbgrader generate_assignment`` already recorded them (made once per run on the
instructor's machine, :func:`scratch_gradebook`). It then starts one long-lived
``python -m autograder.execute.worker`` there: the same grader as the local executor, with its
warm zygote (TensorFlow imported once per Dask worker) and its sandbox around every
kernel. A task (:func:`grade_submission`) brings one submission's files as bytes; the
plugin writes them into the scratch course, asks the grader to autograde it in a fresh
kernel, and returns the autograded files as bytes with the grader's result (per-cell
scores, outcome, timings). Nothing is written outside the worker's scratch folder. A
grader that dies or overruns the hard limit is replaced; the task's result then says
``retry``.
"""
from __future__ import annotations

import os
import queue
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin

from autograder.core.results import Job
from autograder.executors import bundle
from autograder.executors.grader import GraderProcess, grader_env

PLUGIN_NAME = "autograder"
#: The autograded files a task sends back are capped (a notebook that writes gigabytes).
MAX_RETURN_BYTES = 64 * 2**20


def scratch_config(config_text: str, root: Path) -> str:
    """The course's ``nbgrader_config.py``, then a scratch course's own root and gradebook:
    a scratch course never writes to the instructor's gradebook, whatever its ``db_url``."""
    return (config_text + "\n\n# -- autograder: a scratch copy of the course --\n"
            f"c.CourseDirectory.root = {str(root)!r}\n"
            f"c.CourseDirectory.db_url = {('sqlite:///' + str(root / 'gradebook.db'))!r}\n")


def alembic_version(course) -> str | None:
    """The schema version of the course's gradebook (as nbgrader's ``alembic_version`` table has it)."""
    from sqlalchemy import text

    try:
        with course.gradebook() as gb:
            return gb.db.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001
        return None


def course_root_files(course) -> dict[str, bytes]:
    """The files at the course root that ``nbgrader generate_assignment`` reads besides the
    config: the autotests template (``autotests.yml``, or ``InstantiateTests.autotest_filename``)."""
    name = course.config.get("InstantiateTests", {}).get("autotest_filename", "autotests.yml")
    path = course.root / name
    return {name: path.read_bytes()} if path.is_file() and not path.is_symlink() else {}


def scratch_gradebook(config_text: str, sources: dict[str, dict[str, bytes]], version: str | None = None,
                      root_files: dict[str, bytes] | None = None) -> bytes:
    """A SQLite gradebook in which ``nbgrader generate_assignment`` recorded every assignment
    of ``sources`` ({assignment: source files}), made in a temporary copy of the course
    (its ``nbgrader_config.py`` and the course-root ``root_files`` nbgrader reads).

    With the course gradebook's schema ``version``, nbgrader need not run ``alembic`` to learn it.
    """
    import sqlite3

    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    from autograder.core.coursedir import CourseError, ensure_scripts_on_path, load_config, working_directory

    ensure_scripts_on_path()  # nbgrader runs alembic for a new gradebook
    with tempfile.TemporaryDirectory(prefix="autograder-gradebook-") as tmp:
        root = Path(tmp).resolve()
        (root / "nbgrader_config.py").write_text(scratch_config(config_text, root))
        if version:
            with sqlite3.connect(root / "gradebook.db") as db:
                db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
                db.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (version,))
        bundle.unpack(root_files or {}, root)
        for assignment, files in sources.items():
            bundle.unpack(files, root / "source" / assignment)
        config = Config(load_config(root))
        config.CourseDirectory.release_directory = ".autograder/release"
        with working_directory(root):
            api = NbGraderAPI(config=config)
            for assignment in sources:
                result = api.generate_assignment(assignment, force=True)
                if not result.get("success"):
                    raise CourseError(f"nbgrader generate_assignment {assignment} failed in a scratch copy of "
                                      "the course (the dask executor records grades against it); run "
                                      f"`nbgrader generate_assignment {assignment}` to see why:\n"
                                      + (result.get("error") or result.get("log") or ""))
        return (root / "gradebook.db").read_bytes()


class GraderPlugin(WorkerPlugin):
    """A scratch course and a warm grader on each Dask worker (see the module docstring)."""

    name = PLUGIN_NAME

    def __init__(self, config_text: str, setup: dict, sources: dict[str, dict[str, bytes]],
                 gradebook: bytes, threads: int = 1, hard_limit: float = 720.0):
        self.config_text = config_text
        self.grader_setup = dict(setup)
        self.sources = sources
        self.gradebook = gradebook
        self.threads = threads
        self.hard_limit = hard_limit

    # -- lifecycle (called by distributed) -------------------------------------------
    def setup(self, worker: Any) -> None:
        base = getattr(worker, "local_directory", None) or tempfile.gettempdir()
        self.root = Path(tempfile.mkdtemp(prefix="autograder-course-", dir=base)).resolve()
        (self.root / "nbgrader_config.py").write_text(scratch_config(self.config_text, self.root))
        for assignment, files in self.sources.items():
            bundle.unpack(files, self.root / "source" / assignment)
        (self.root / "gradebook.db").write_bytes(self.gradebook)
        self.lock = threading.Lock()
        self.graded = 0
        self.grader: GraderProcess | None = None
        self._start()  # warm up while the first tasks travel

    def teardown(self, worker: Any) -> None:
        if self.grader is not None:
            self.grader.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def _start(self) -> GraderProcess:
        setup = {**self.grader_setup, "course": str(self.root)}
        self.grader = GraderProcess(setup, grader_env(self.threads, force=True), queue.Queue(),
                                    cwd=self.root, log=self.root / "grader.log")
        return self.grader

    # -- one task ----------------------------------------------------------------------
    def grade(self, job: dict) -> dict:
        """Grade one submission; the grader's result plus ``files`` (the autograded folder as bytes)."""
        start = time.monotonic()
        assignment, student = job["assignment"], job["student"]
        with self.lock:
            waited = time.monotonic() - start
            submitted = self.root / "submitted" / student / assignment
            autograded = self.root / "autograded" / student / assignment
            try:
                for folder in (submitted, autograded):
                    shutil.rmtree(folder, ignore_errors=True)
                bundle.unpack(job["files"], submitted)
                if self.grader is None or not self.grader.alive():
                    self._start()
                assert self.grader is not None
                reply, why = self.grader.ask(Job(assignment, student), timeout=self.hard_limit)
                if reply is None:
                    status = "timed_out" if "hard time limit" in why else "failed"
                    self._start()  # a fresh grader for the next task (or this one's retry)
                    result = {"status": status, "reason": why, "retry": True, "cells": [], "notebooks": []}
                    files: dict[str, bytes] = {}
                    left_out: list[str] = []
                else:
                    result = reply
                    files, left_out = bundle.pack(autograded, max_bytes=MAX_RETURN_BYTES)
                self.graded += 1
            finally:
                for folder in (submitted.parent, autograded.parent):
                    shutil.rmtree(folder, ignore_errors=True)
        info = self.grader.info if self.grader is not None else {}
        return {**result, "id": job["id"], "assignment": assignment, "student": student,
                "files": files, "files_left_out": left_out, "not_sent": job.get("left_out", []), "remote_seconds": round(time.monotonic() - start, 3),
                "queued_seconds": round(waited, 3), "host": os.uname().nodename,
                "dask_worker_pid": os.getpid(), "warm": bool(info.get("warm"))}

    def describe(self) -> dict:
        """What the run summary shows for this Dask worker."""
        info = dict(self.grader.info) if self.grader is not None else {}
        if self.grader is not None:
            with self.lock:
                info.update(self.grader.stats())
        info.pop("stats", None)
        info.update(dask_worker_pid=os.getpid(), host=os.uname().nodename, graded=self.graded)
        return info


def grade_submission(job: dict) -> dict:
    """The Dask task: grade ``job`` with this worker's :class:`GraderPlugin`."""
    from distributed import get_worker

    worker = get_worker()
    plugin = worker.plugins.get(PLUGIN_NAME)
    if plugin is None:
        raise RuntimeError("this Dask worker has no autograder plugin (it joined after the run started?)")
    return plugin.grade(job)


def describe_worker(dask_worker: Any = None) -> dict:
    """``client.run`` target: this worker's grader info."""
    plugin = dask_worker.plugins.get(PLUGIN_NAME) if dask_worker is not None else None
    return plugin.describe() if plugin is not None else {}
