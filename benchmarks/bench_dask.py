#!/usr/bin/env python3
"""The dask executor (a local Dask cluster of 2 worker processes) versus the local executor, in one run.

    python benchmarks/bench_dask.py                      # 24 submissions of 05_training
    python benchmarks/bench_dask.py --fixture            # the test fixture's tf1 lesson
    python benchmarks/bench_dask.py --students 12 --workers 2

A ``dask scheduler`` and ``--workers`` ``dask worker --nthreads 1`` processes are
started on 127.0.0.1 before the clock starts (a cluster is already running when an
instructor grades). Then the same submissions, in two fresh copies of the course,
are graded by ``grade(..., workers=N)`` (local) and by the dask executor; each run
includes its own warm-up (grader start, TensorFlow import in the zygote). Prints both
wall times, their ratio (target: dask within 15 % of local), seconds per notebook,
the overhead the dask executor adds per notebook (its wall-time difference, and the
parts it is made of: recording on this machine, packing on the worker, waiting for
the worker), and checks that the per-cell scores are identical.

``bench_autograde.py --rows sandboxed,dask`` makes the same comparison through the
``autograder grade --scheduler`` command, beside stock nbgrader and the other rows.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_autograde import FIXTURES, ROOT, cell_scores, copy_course, env, place, submissions  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_cluster(workers: int, folder: Path) -> tuple[str, list[subprocess.Popen]]:
    """``dask scheduler`` and ``workers`` single-threaded ``dask worker`` processes; wait until all joined."""
    from distributed import Client

    dask = os.path.join(os.path.dirname(sys.executable), "dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = open(folder / "cluster.log", "w")
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              stdout=log, stderr=log, env=env(), start_new_session=True)]
    for i in range(workers):
        procs.append(subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-dashboard",
                                       "--local-directory", str(folder / f"w{i}")],
                                      stdout=log, stderr=log, env=env(), start_new_session=True))
    with Client(address, timeout=60, set_as_default=False) as client:
        client.wait_for_workers(workers, timeout=180)
    return address, procs


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in reversed(procs):
        proc.terminate()
    for proc in reversed(procs):
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default=None)
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2, help="local workers = Dask worker processes")
    parser.add_argument("--fixture", action="store_true", help="use the test fixture course (tf1)")
    parser.add_argument("--unsandboxed", action="store_true", help="both executors without the sandbox")
    parser.add_argument("--keep", action="store_true", help="keep the temporary course copies")
    args = parser.parse_args()
    os.environ.update(env())

    src = FIXTURES / "course" if args.fixture else ROOT
    assignment = args.assignment or ("tf1" if args.fixture else "05_training")
    tmp = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    procs: list[subprocess.Popen] = []
    try:
        from autograder.core.coursedir import Course
        from autograder.grading import grade, grade_on_dask

        local = copy_course(src, assignment, tmp / "local")
        remote = copy_course(src, assignment, tmp / "dask")
        name = next((local / "source" / assignment).glob("*.ipynb")).name
        subs = submissions(local, assignment, args.students, args.fixture)
        for course in (local, remote):
            place(course, assignment, name, subs)
        n = len(subs)
        address, procs = start_cluster(args.workers, tmp)
        print(f"{n} submissions of {assignment} ({src}), {os.cpu_count()} cores, {args.workers} workers, "
              f"COURSE_TF_THREADS=1, sandbox={'off' if args.unsandboxed else 'on'}", flush=True)

        options = dict(sandbox=not args.unsandboxed)
        start = time.perf_counter()
        local_run = grade(Course(local), [assignment], workers=args.workers, **options)
        local_wall = time.perf_counter() - start
        print(f"local executor : {local_wall:7.1f} s  {local_wall / n:5.2f} s/notebook  {dict(local_run.counts())}",
              flush=True)
        start = time.perf_counter()
        dask_run = grade_on_dask(Course(remote), [assignment], scheduler=address, **options)
        dask_wall = time.perf_counter() - start
        print(f"dask executor  : {dask_wall:7.1f} s  {dask_wall / n:5.2f} s/notebook  {dict(dask_run.counts())}",
              flush=True)

        ratio = dask_wall / local_wall
        print(f"dask / local wall time: {ratio:.2f} ({100 * (ratio - 1):+.1f} %; target within 15 %): "
              f"{'ok' if ratio <= 1.15 else 'OVER'}")
        print(f"overhead per notebook (wall-time difference / submissions): {(dask_wall - local_wall) / n:+.3f} s")
        mean = lambda key: statistics.fmean(getattr(r, key) or 0.0 for r in dask_run.results)  # noqa: E731
        grading = mean("seconds")
        print(f"  per notebook on a Dask worker: grading {grading:.3f} s, with the task's unpacking, "
              f"packing and waits {mean('remote_seconds'):.3f} s "
              f"(+{mean('remote_seconds') - grading:.3f} s)")
        print(f"  per notebook on this machine: recording by nbgrader's autograde (replayed) "
              f"{mean('record_seconds'):.3f} s, overlapped with the workers' grading")
        a, b = cell_scores(local, assignment), cell_scores(remote, assignment)
        same = a == b and len(a) > 0
        print(f"per-cell scores identical (local, dask): {same} ({len(a)} cells)")
        if not same:
            for key in sorted(set(a) | set(b)):
                if a.get(key) != b.get(key):
                    print("  differs:", key, "local", a.get(key), "dask", b.get(key))
        return 0 if same else 1
    finally:
        stop(procs)
        if args.keep:
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
