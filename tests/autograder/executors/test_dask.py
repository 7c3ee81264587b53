"""The dask executor against a real Dask cluster: a scheduler and two workers started here.

A small class of the fixture course (``ps1``, ``tf1``) is graded three times, in
three copies of the course: through the dask executor, the local executor and stock
``nbgrader autograde``; the gradebooks must agree cell by cell. Then a second dask
run grades nothing, and a run in which one Dask worker process is killed (``kill -9``)
mid-submission still grades every student exactly once.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import find_free_port
from tests.fixtures.autograder import fixture_course
from tests.fixtures.autograder.fixture_course import SCRIPTS, cli_env

pytestmark = pytest.mark.slow

CLASS = {
    ("ps1", "ann"): "correct", ("ps1", "ben"): "partial", ("ps1", "dan"): "wrong", ("ps1", "eve"): "crash",
    ("tf1", "ann"): "correct", ("tf1", "ben"): "partial",
}
TIMESTAMP = "2026-11-20 10:15:00.000000 UTC"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``dask scheduler`` and two ``dask worker --nthreads 1`` processes on 127.0.0.1."""
    from distributed import Client

    folder = tmp_path_factory.mktemp("dask")
    port = find_free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = os.path.join(SCRIPTS, "dask")
    log = open(folder / "cluster.log", "w")
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              stdout=log, stderr=log, env=cli_env(), start_new_session=True)]
    try:
        for i in range(2):
            procs.append(subprocess.Popen(
                [dask, "worker", address, "--nthreads", "1", "--no-dashboard", "--name", f"w{i}",
                 "--local-directory", str(folder / f"w{i}")],
                stdout=log, stderr=log, env=cli_env(), start_new_session=True))
        with Client(address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


def scores(root: Path, assignment: str) -> dict[str, dict]:
    """student -> {cell: (score, needs_manual_grade)} and the submission's timestamp, from the gradebook."""
    from nbgrader.api import Gradebook

    from autograder.core.coursedir import Course

    course = Course(root)
    out = {}
    with Gradebook(course.db_url, course.course_id) as gb:
        for sub in gb.find_assignment(assignment).submissions:
            out[sub.student.id] = {
                "cells": {g.name: (g.score, g.needs_manual_grade) for nb in sub.notebooks for g in nb.grades},
                "timestamp": str(sub.timestamp), "late": sub.total_seconds_late,
                "flagged": sorted(nb.name for nb in sub.notebooks if nb.flagged)}
    return out


def outputs(root: Path, student: str, assignment: str) -> list:
    """Per graded cell of the autograded notebook: output types and error names (not tracebacks)."""
    import nbformat

    nb = nbformat.read(root / "autograded" / student / assignment / f"{assignment}.ipynb", as_version=4)
    return [(c.metadata.get("nbgrader", {}).get("grade_id"),
             [(o.output_type, o.get("ename")) for o in c.get("outputs", [])])
            for c in nb.cells if c.cell_type == "code"]


def submit(root: Path, assignment: str, student: str, variant: str, sleep: float = 0.0) -> None:
    import nbformat

    path = root / "submitted" / student / assignment / f"{assignment}.ipynb"
    fixture_course.write_submission(root, assignment, variant, path)
    if sleep:  # a correct answer that takes a while
        nb = nbformat.read(path, as_version=4)
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "add")
        cell.source = f"import time\ntime.sleep({sleep})\n" + cell.source
        nbformat.write(nb, path)
    (path.parent / "timestamp.txt").write_text(TIMESTAMP)


def test_bundles_round_trip_and_stay_inside(tmp_path):
    from autograder.executors import bundle

    src = tmp_path / "src"
    (src / "data").mkdir(parents=True)
    (src / "a.ipynb").write_bytes(b"{}")
    (src / "data" / "x.csv").write_bytes(b"1,2")
    (src / ".ipynb_checkpoints").mkdir()
    (src / ".ipynb_checkpoints" / "a-checkpoint.ipynb").write_bytes(b"{}")
    files, left_out = bundle.pack(src)
    assert files == {"a.ipynb": b"{}", "data/x.csv": b"1,2"} and left_out == []
    assert bundle.pack(src, max_bytes=2) == ({"a.ipynb": b"{}"}, ["data/x.csv"])
    bundle.unpack(files, tmp_path / "dest")
    assert (tmp_path / "dest" / "data" / "x.csv").read_bytes() == b"1,2"
    for bad in ("../escape.txt", "/etc/escape.txt"):
        with pytest.raises(ValueError):
            bundle.unpack({bad: b"x"}, tmp_path / "dest")
    assert not (tmp_path / "escape.txt").exists()


def test_scheduler_from_nbgrader_config(tmp_path):
    from autograder.core.coursedir import Course
    from autograder.executors.dask import configured_scheduler

    root = fixture_course.make_course(tmp_path / "course")
    assert configured_scheduler(Course(root)) is None
    with open(root / "nbgrader_config.py", "a") as handle:
        handle.write('\nc.Autograder.scheduler = "tcp://grading.example.org:8786"\n')
    assert configured_scheduler(Course(root)) == "tcp://grading.example.org:8786"


def test_recording_replays_what_the_worker_executed(tmp_path):
    """Without a cluster: the outputs a worker returns decide the grade nbgrader records here;
    a notebook that does not match the submission prepared here is not recorded."""
    import nbformat

    from autograder.core.coursedir import Course
    from autograder.executors.replay import record

    worker = fixture_course.prepare(tmp_path / "worker", assignments=("ps1",))
    submit(worker, "ps1", "ann", "correct")
    here = Path(shutil.copytree(worker, tmp_path / "here"))
    done = subprocess.run([os.path.join(SCRIPTS, "nbgrader"), "autograde", "ps1"], cwd=worker,
                          env=cli_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    executed = nbformat.read(worker / "autograded" / "ann" / "ps1" / "ps1.ipynb", as_version=4)
    test_add = next(c for c in executed.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_add")
    test_add.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="injected by the worker",
                                               traceback=["AssertionError: injected by the worker"])]
    remote = {"id": "ps1/ann", "assignment": "ps1", "student": "ann", "status": "graded", "reason": "",
              "files": {"ps1.ipynb": nbformat.writes(executed).encode(), "notes.txt": b"written by the notebook"}}

    result = record(Course(here), remote)
    assert result["status"] == "graded", result
    book = scores(here, "ps1")["ann"]
    assert book["cells"] == {"test_add": (0.0, False), "test_mean": (2.0, False)}  # stock gave test_add 1
    assert book["timestamp"].startswith("2026-11-20 10:15:00")
    assert "injected by the worker" in next(c["message"] for c in result["cells"] if c["cell"] == "test_add")
    folder = here / "autograded" / "ann" / "ps1"
    assert (folder / "notes.txt").read_bytes() == b"written by the notebook"
    assert "injected by the worker" in (folder / "ps1.ipynb").read_text()
    assert book["flagged"] == []

    # a cell the worker's grader could not score (NotGraded: the quiz's key missing) is recorded as
    # failed and flagged for the formgrader, as a local worker flags it; graded again, it is unflagged
    not_graded = {**remote, "status": "failed", "reason": "test_add: NotGraded: the answer key is not here"}
    result = record(Course(here), not_graded)
    assert result["status"] == "failed" and "NotGraded" in result["reason"], result
    assert scores(here, "ps1")["ann"]["flagged"] == ["ps1"]
    assert record(Course(here), remote)["status"] == "graded"
    assert scores(here, "ps1")["ann"]["flagged"] == []

    test_add.source = "assert True  # not the course's test"
    remote["files"]["ps1.ipynb"] = nbformat.writes(executed).encode()
    result = record(Course(here), remote)
    assert result["status"] == "failed" and "does not match" in result["reason"], result


@pytest.fixture(scope="module")
def graded(cluster, tmp_path_factory):
    """The class graded by the dask executor, the local executor and stock nbgrader."""
    from autograder.core.coursedir import Course
    from autograder.grading import grade, grade_on_dask

    base = tmp_path_factory.mktemp("courses")
    roots = {"dask": fixture_course.prepare(base / "dask")}
    for name in ("local", "stock"):  # the same course, gradebook and release
        roots[name] = Path(shutil.copytree(roots["dask"], base / name))
    for name, root in roots.items():
        for (assignment, student), variant in CLASS.items():
            if not (name == "stock" and variant == "crash"):  # stock nbgrader aborts on a dead kernel
                submit(root, assignment, student, variant)
    seconds = {"start": time.monotonic()}
    dask_run = grade_on_dask(Course(roots["dask"]), ["ps1", "tf1"], scheduler=cluster, notebook_timeout=30)
    seconds["dask"] = time.monotonic()
    local_run = grade(Course(roots["local"]), ["ps1", "tf1"], workers=2, notebook_timeout=30)
    seconds["local"] = time.monotonic()
    for assignment in ("ps1", "tf1"):
        done = subprocess.run([os.path.join(SCRIPTS, "nbgrader"), "autograde", assignment], cwd=roots["stock"],
                              env=cli_env(), capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
    seconds["stock"] = time.monotonic()
    print("seconds: dask {:.1f}, local {:.1f}, stock {:.1f}".format(
        seconds["dask"] - seconds["start"], seconds["local"] - seconds["dask"], seconds["stock"] - seconds["local"]))
    return roots, dask_run, local_run


def test_dask_scores_equal_local_and_stock(graded):
    roots, dask_run, local_run = graded
    assert dask_run.ok and len(dask_run.results) == len(CLASS)
    assert {r.executor for r in dask_run.results} == {"dask"}
    statuses = {(r.assignment, r.student): r.status for r in dask_run.results}
    assert statuses == {(r.assignment, r.student): r.status for r in local_run.results}
    assert statuses[("ps1", "eve")] == "crashed" and statuses[("ps1", "ann")] == "graded"
    for assignment in ("ps1", "tf1"):
        ours = scores(roots["dask"], assignment)
        assert ours == scores(roots["local"], assignment), assignment
        stock = scores(roots["stock"], assignment)
        assert {s: ours[s] for s in stock} == stock, assignment
    ps1 = scores(roots["dask"], "ps1")
    assert ps1["ann"]["cells"] == {"test_add": (1.0, False), "test_mean": (2.0, False)}
    assert ps1["ben"]["cells"]["test_mean"] == (0.0, False)  # the hidden test failed
    assert ps1["eve"]["flagged"] == ["ps1"]  # crashed: flagged for the formgrader
    by_student = {(r.assignment, r.student): r for r in dask_run.results}
    assert by_student[("ps1", "ben")].score == 1.0
    assert "mean" in next(c.message for c in by_student[("ps1", "dan")].cells if c.cell == "test_mean")
    # one warm grader on each of the two Dask workers, each with its TensorFlow preloaded
    assert len(dask_run.workers) == 2 and all(w.get("warm") for w in dask_run.workers)
    assert sum(w["graded"] for w in dask_run.workers) == len(CLASS)


def test_autograded_files_written_in_the_course(graded):
    roots, _, _ = graded
    for (assignment, student), variant in CLASS.items():
        if variant == "crash":
            continue
        ours = roots["dask"] / "autograded" / student / assignment
        names = sorted(p.name for p in ours.iterdir())
        assert names == sorted(p.name for p in (roots["stock"] / "autograded" / student / assignment).iterdir())
        assert f"{assignment}.ipynb" in names
        assert outputs(roots["dask"], student, assignment) == outputs(roots["stock"], student, assignment)


def test_second_run_grades_nothing(graded, cluster):
    from autograder.core.coursedir import Course
    from autograder.grading import grade_on_dask

    roots, _, _ = graded
    again = grade_on_dask(Course(roots["dask"]), ["ps1", "tf1"], scheduler=cluster, notebook_timeout=30)
    assert again.results == [] and len(again.skipped) == len(CLASS)


def test_worker_killed_mid_run_class_completes_once(graded, cluster):
    """kill -9 a Dask worker process while it grades: its task runs elsewhere, every student once."""
    from distributed import Client

    from autograder.core.coursedir import Course
    from autograder.grading import grade_on_dask

    roots, _, _ = graded
    root = roots["dask"]
    slow = [f"slow{i}" for i in range(4)]
    for student in slow:
        submit(root, "ps1", student, "correct", sleep=2)
    killed: dict = {}

    def kill_a_busy_worker(result, done: int, total: int) -> None:
        if killed:
            return
        with Client(cluster, timeout=30, set_as_default=False) as client:
            busy = {w: keys for w, keys in client.processing().items() if keys}
            pids = client.run(os.getpid)
        address, keys = next(iter(busy.items()))
        killed.update(address=address, pid=pids[address], keys=list(keys))
        os.kill(pids[address], signal.SIGKILL)

    run = grade_on_dask(Course(root), ["ps1"], scheduler=cluster, notebook_timeout=30,
                        on_result=kill_a_busy_worker)
    assert killed["keys"], "no task was running on the killed worker"
    with pytest.raises(ProcessLookupError):
        os.kill(killed["pid"], 0)
    assert run.ok and sorted(r.student for r in run.results) == slow
    assert {r.status for r in run.results} == {"graded"}
    log = [json.loads(l) for l in (root / ".autograder" / "ps1.jsonl").read_text().splitlines()]
    assert sorted(r["student"] for r in log if r["student"].startswith("slow")) == slow  # once each
    book = scores(root, "ps1")
    for student in slow:
        assert book[student]["cells"] == {"test_add": (1.0, False), "test_mean": (2.0, False)}
    # the killed worker's submission was graded by another Dask worker process
    assert any(r.dask_worker_pid != killed["pid"] for r in run.results
               if any(r.student in k for k in killed["keys"]))


def test_worker_killed_holding_results_not_yet_recorded_class_completes_once(cluster, tmp_path, capfd):
    """kill -9 a Dask worker process that holds a finished submission's result this side has not
    fetched and recorded yet (it waits while the run records the previous one): the run says so, the
    cluster grades it again, and every student is recorded once with full marks."""
    from distributed import Client

    from autograder.core.coursedir import Course
    from autograder.grading import grade_on_dask

    root = fixture_course.prepare(tmp_path / "course", assignments=("ps1",))
    held = [f"held{i}" for i in range(5)]
    for student in held:
        submit(root, "ps1", student, "correct", sleep=1)
    recorded: list[str] = []
    killed: dict = {}

    def kill_a_worker_holding_a_result(result, done: int, total: int) -> None:
        recorded.append(result.student)
        if killed:
            return
        with Client(cluster, timeout=30, set_as_default=False) as client:
            deadline = time.monotonic() + 60  # the run records nothing meanwhile: a result waits on a worker
            while not killed and time.monotonic() < deadline:
                for address, keys in client.has_what().items():
                    waiting = [k for k in keys if k.startswith("autograde-ps1-held")
                               and not any(f"-{s}-" in k for s in recorded)]
                    if waiting:
                        killed.update(address=address, pid=client.run(os.getpid, workers=[address])[address],
                                      key=waiting[0])
                        break
                time.sleep(0.05)
            assert killed, "no worker held a result not yet recorded"
            os.kill(killed["pid"], signal.SIGKILL)
            while killed["key"] in client.who_has([killed["key"]]).get(killed["key"], ()) or \
                    client.who_has([killed["key"]]).get(killed["key"]):
                time.sleep(0.05)  # the scheduler knows the result is gone

    run = grade_on_dask(Course(root), ["ps1"], scheduler=cluster, notebook_timeout=30,
                        on_result=kill_a_worker_holding_a_result)
    assert killed, "nothing was killed"
    student = next(s for s in held if f"-{s}-" in killed["key"])
    assert run.ok and sorted(r.student for r in run.results) == held
    assert {r.status for r in run.results} == {"graded"}
    message = " ".join(capfd.readouterr().err.split())
    assert (f"autograder: the Dask worker {killed['address']} left the cluster (killed, or its machine gone): "
            "what it was grading, and results it held that were not recorded yet, are graded again by the other "
            "workers; each submission is recorded once") in message, message
    log = [json.loads(l) for l in (root / ".autograder" / "ps1.jsonl").read_text().splitlines()]
    assert sorted(r["student"] for r in log if r["student"].startswith("held")) == held  # once each
    book = scores(root, "ps1")
    for name in held:
        assert book[name]["cells"] == {"test_add": (1.0, False), "test_mean": (2.0, False)}
    by_student = {r.student: r for r in run.results}
    assert by_student[student].dask_worker_pid != killed["pid"]  # graded again by another worker process


def test_cli_grades_on_the_scheduler(cluster, tmp_path):
    """`autograder grade ASSIGNMENT --scheduler ADDRESS` grades through the dask executor."""
    root = fixture_course.prepare(tmp_path / "course", assignments=("ps1",))
    submit(root, "ps1", "ann", "correct")
    run = fixture_course.autograder("grade", "ps1", "--scheduler", cluster, "--no-progress",
                                    "--summary-json", str(tmp_path / "summary.json"), cwd=root)
    assert run.returncode == 0, run.stdout + run.stderr
    results = json.loads((tmp_path / "summary.json").read_text())["results"]
    assert [(r["student"], r["status"], r["executor"]) for r in results] == [("ann", "graded", "dask")]
    assert scores(root, "ps1")["ann"]["cells"] == {"test_add": (1.0, False), "test_mean": (2.0, False)}
