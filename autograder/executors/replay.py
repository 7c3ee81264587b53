"""Record a submission graded elsewhere, by nbgrader's own autograde, on the instructor's machine.

A Dask worker executed the notebook; this side runs nbgrader's ``autograde`` for
that student as ``nbgrader autograde`` would (sanitize, ``SaveAutoGrades``, late
penalties from ``timestamp.txt``, the autograded folder written by nbgrader), with
one difference: its ``Execute`` step is :class:`ReplayExecute`, which runs no kernel
and gives each cell the outputs the worker's execution produced. The gradebook
therefore holds exactly what stock nbgrader would have recorded for those outputs.
:class:`Recording` writes them into the course's gradebook a batch at a time
(:mod:`autograder.record.gradebook_batch`).
"""
from __future__ import annotations

import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode
from traitlets.config import Config

from autograder.core.coursedir import Course, working_directory
from autograder.core.results import Status
from autograder.record import gradebook_batch
from autograder.record.gradebook_batch import Scratch, course_state, on_server, write_batch


class ReplayMismatch(Exception):
    """The executed notebook does not match the one nbgrader prepared here."""


def _signature(cell: NotebookNode) -> tuple:
    return (cell.cell_type, cell.source, (cell.metadata.get("nbgrader") or {}).get("grade_id"))


class ReplayExecute(NbGraderPreprocessor):
    """nbgrader's ``Execute`` step, replayed: the notebook as the remote execution left it.

    The remote notebook went through the same sanitize steps on the same source
    (cell by cell: same type, source and grade id, else :class:`ReplayMismatch`);
    its outputs, execution counts and execution metadata become this notebook's.
    """

    replay_from = Unicode("", help="Folder holding the executed <notebook>.ipynb files.").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: Any):
        name = resources["unique_key"]
        path = Path(self.replay_from) / f"{name}.ipynb"
        if not path.exists():
            raise ReplayMismatch(f"the worker returned no executed {name}.ipynb")
        executed = nbformat.read(str(path), as_version=4)
        if [_signature(c) for c in nb.cells] != [_signature(c) for c in executed.cells]:
            raise ReplayMismatch(f"the executed {name}.ipynb does not match the submission prepared here")
        return executed, resources


def replay_config(config: Config, folder: Path, notebook_timeout: int = 0) -> Config:
    """The course config for recording: nbgrader's autograde with ``Execute`` replayed from ``folder``."""
    from autograder.execute.guarded import GuardedExecute
    from autograder.execute.worker import worker_config

    config = worker_config(config, notebook_timeout)  # Execute's slot, sqlite busy timeout
    pipeline = list(config.Autograde.autograde_preprocessors)
    config.Autograde.autograde_preprocessors = [ReplayExecute if pp is GuardedExecute else pp for pp in pipeline]
    config.ReplayExecute.replay_from = str(folder)
    return config


class Recording:
    """Records submissions graded elsewhere into the course's gradebook, a batch per transaction.

    nbgrader's autograde (with :class:`ReplayExecute`) runs here for each submission, as
    ``nbgrader autograde`` would, writing the autograded folder into the course, but
    against a scratch SQLite copy of the assignments' records on this machine (the
    course's due dates and each student's extension, manual grades and extra credit copied
    in first, so late penalties and manual grading come out as nbgrader's). What it recorded
    there is then written to the course's gradebook, for every submission of the batch,
    in one session and one transaction: the columns nbgrader's autograde writes (the
    submission's timestamp, each notebook's late penalty, each grade's ``auto_score``
    and ``needs_manual_grade``, each comment's ``auto_comment``) and the flag the
    formgrader shows on crashed and timed-out notebooks. With a server gradebook
    (PostgreSQL), a batch costs a few round trips instead of several sessions and a
    commit per graded cell per submission; nothing is retried on a locked database.
    """

    def __init__(self, course: Course, gradebook: bytes | None = None):
        self.course = course
        self.tmp = Path(tempfile.mkdtemp(prefix="autograder-record-"))
        self.scratch_url = "sqlite:///" + str(self.tmp / "gradebook.db")
        if gradebook is None:
            gradebook = _scratch_gradebook(course)
        (self.tmp / "gradebook.db").write_bytes(gradebook)
        self.scratch = Scratch(self.scratch_url, course.course_id)
        self._gradebook: Any = None

    @property
    def gradebook(self):
        """The course's gradebook: one connection for the whole run, a transaction per batch."""
        if self._gradebook is None:
            self._gradebook = self.course.gradebook()
        return self._gradebook

    def close(self) -> None:
        if self._gradebook is not None:
            self._gradebook.close()
            self._gradebook = None
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> "Recording":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def record(self, remotes: list[dict]) -> list[dict]:
        """Record a batch of Dask task results; the run's result dict for each, in order."""
        start = time.monotonic()
        results: list[dict] = []
        replayed: list[tuple[int, dict]] = []
        pairs = [(r["assignment"], r["student"]) for r in remotes]
        state = on_server(self.gradebook, lambda: course_state(self.gradebook, pairs), gradebook_batch.SERVER_WAIT)
        for remote in remotes:
            result = self._replay(remote, state[(remote["assignment"], remote["student"])])
            results.append(result)
            if result.get("_replayed"):
                replayed.append((len(results) - 1, result))
        if replayed:
            recorded = self.scratch.recorded([(r["assignment"], r["student"]) for _, r in replayed])
            on_server(self.gradebook, lambda: write_batch(self.gradebook, list(recorded.values())),
                      gradebook_batch.SERVER_WAIT)
        elapsed = round(time.monotonic() - start, 3)
        for result in results:
            if result.pop("_replayed", False):
                result["record_seconds"] = round(result.get("record_seconds", 0.0) + elapsed / max(1, len(replayed)), 3)
        return results

    # -- steps --------------------------------------------------------------------------
    def _replay(self, remote: dict, state: dict) -> dict:
        from nbgrader.apps import NbGraderAPI

        from autograder.execute.worker import first_line, read_back

        assignment, student = remote["assignment"], remote["student"]
        start = time.monotonic()
        files: dict[str, bytes] = remote.get("files") or {}
        notebooks = {n: b for n, b in files.items() if n.endswith(".ipynb") and "/" not in n}
        status, reason = remote.get("status", "failed"), remote.get("reason", "")
        base = {k: remote.get(k) for k in ("id", "assignment", "student", "notebooks", "isolation", "host",
                                             "dask_worker_pid", "remote_seconds", "queued_seconds", "warm",
                                             "not_copied_back", "not_sent", "files_left_out")}
        base["worker"] = f"{remote.get('host')}:{remote.get('dask_worker_pid')}"
        base["seconds"] = remote.get("seconds", remote.get("remote_seconds", 0.0))
        if not notebooks:  # the worker could not grade it (its grader died or overran the hard limit)
            return {**base, "status": status if status in (Status.FAILED, Status.TIMED_OUT) else "failed",
                    "reason": reason or "the worker returned no notebook", "cells": [], "score": 0.0,
                    "max_score": 0.0, "log": remote.get("log", "")}
        self.scratch.prepare(assignment, student, state)
        folder = self.tmp / "executed"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        for name, data in notebooks.items():
            (folder / name).write_bytes(data)
        config = replay_config(self.course.config, folder)
        config.CourseDirectory.db_url = self.scratch_url
        with working_directory(self.course.root), warnings.catch_warnings():
            # nbgrader's autograde makes SQLAlchemy warn about its session (as under stock nbgrader)
            warnings.simplefilter("ignore")
            api = NbGraderAPI(config=config)
            outcome = api.autograde(assignment, student, force=True, create=True)
            if not outcome.get("success"):
                log = (outcome.get("error") or "") + (outcome.get("log") or "")
                lines = log.splitlines()
                line = next((l.split("ReplayMismatch: ", 1)[1] for l in lines if "ReplayMismatch: " in l),
                            next((l for l in lines if "Error" in l or "ERROR" in l), log))
                return {**base, "status": "failed", "reason": "recording failed: " + first_line(line),
                        "cells": [], "score": 0.0, "max_score": 0.0, "log": log[-4000:]}
            _write_extra_files(self.course, assignment, student, files)
            # Flagged for the formgrader as a local worker flags it: a crash, a timeout, or a cell the
            # grader could not score (the worker's autograde succeeded, else no notebook came back).
            flagged = status in (Status.CRASHED, Status.TIMED_OUT, Status.FAILED)
            cells = read_back(api, self.course, assignment, student, flagged=flagged, earlier=remote.get("cells") or ())
        return {**base, "status": status, "reason": reason, "cells": [c.to_json() for c in cells],
                "score": sum(c.points or 0 for c in cells), "max_score": sum(c.max_points for c in cells),
                "record_seconds": round(time.monotonic() - start, 3),
                "log": "" if status == Status.GRADED else remote.get("log", ""),
                "_replayed": True}


def _scratch_gradebook(course: Course) -> bytes:
    """The assignments' records as ``nbgrader generate_assignment`` makes them, in a SQLite file."""
    from autograder.executors import bundle
    from autograder.executors.plugin import alembic_version, scratch_gradebook

    sources = {a: bundle.pack(course.folder("source") / a)[0] for a in course.assignments()}
    return scratch_gradebook((course.root / "nbgrader_config.py").read_text(), sources, alembic_version(course))


def record(course: Course, remote: dict) -> dict:
    """Record one Dask task's result in the course (a batch of one); the run's result dict.

    The per-cell points are what nbgrader's autograde recorded for the executed
    notebook here, not what the worker says.
    """
    with Recording(course) as recording:
        return recording.record([remote])[0]


def _write_extra_files(course: Course, assignment: str, student: str, files: dict[str, bytes]) -> None:
    """Files the notebook wrote next to itself on the worker, as stock nbgrader would leave them."""
    from autograder.executors import bundle

    folder = course.folder("autograded") / student / assignment
    extra = {}
    for name, data in files.items():
        if name.endswith(".ipynb") and "/" not in name:
            continue  # written by nbgrader's autograde just now
        path = folder / name
        if not path.is_file() or path.read_bytes() != data:
            extra[name] = data
    bundle.unpack(extra, folder)
