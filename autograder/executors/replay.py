"""Record a submission graded elsewhere, by nbgrader's own autograde, on the instructor's machine.

A Dask worker executed the notebook; this side runs nbgrader's ``autograde`` for
that student as ``nbgrader autograde`` would (sanitize, ``SaveAutoGrades``, late
penalties from ``timestamp.txt``, the autograded folder written by nbgrader), with
one difference: its ``Execute`` step is :class:`ReplayExecute`, which runs no kernel
and gives each cell the outputs the worker's execution produced. The gradebook
therefore holds exactly what stock nbgrader would have recorded for those outputs.
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

from autograder.coursedir import Course, working_directory


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
    from autograder.execute import GuardedExecute
    from autograder.worker import worker_config

    config = worker_config(config, notebook_timeout)  # Execute's slot, sqlite busy timeout
    pipeline = list(config.Autograde.autograde_preprocessors)
    config.Autograde.autograde_preprocessors = [ReplayExecute if pp is GuardedExecute else pp for pp in pipeline]
    config.ReplayExecute.replay_from = str(folder)
    return config


def record(course: Course, remote: dict) -> dict:
    """Record ``remote`` (a Dask task's result) in the course; return the run's result dict.

    The per-cell points are read back from the course's gradebook, so they are what
    nbgrader recorded here, not what the worker says.
    """
    from nbgrader.apps import NbGraderAPI

    from autograder.worker import first_line, read_back

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
        return {**base, "status": status if status in ("failed", "timed_out") else "failed",
                "reason": reason or "the worker returned no notebook", "cells": [], "score": 0.0, "max_score": 0.0,
                "log": remote.get("log", "")}
    tmp = Path(tempfile.mkdtemp(prefix="autograder-replay-"))
    try:
        for name, data in notebooks.items():
            (tmp / name).write_bytes(data)
        config = replay_config(course.config, tmp)
        with working_directory(course.root), warnings.catch_warnings():
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
            _write_extra_files(course, assignment, student, files)
            cells = read_back(api, course, assignment, student, flagged=status in ("crashed", "timed_out"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {**base, "status": status, "reason": reason, "cells": cells,
            "score": sum(c["points"] or 0 for c in cells), "max_score": sum(c["max_points"] for c in cells),
            "record_seconds": round(time.monotonic() - start, 3),
            "log": "" if status == "graded" else remote.get("log", "")}


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
