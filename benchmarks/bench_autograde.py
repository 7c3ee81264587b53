#!/usr/bin/env python3
"""autograder (sandboxed and unsandboxed) versus stock ``nbgrader autograde``, in one run.

    python benchmarks/bench_autograde.py                       # 24 submissions of 05_training
    python benchmarks/bench_autograde.py --assignment 03_dense_layers --students 12
    python benchmarks/bench_autograde.py --fixture             # the test fixture's tf1 lesson

Both graders get the same submissions (alternately the reference solution and the
blank release notebook, or the fixture's correct/partial/blank variants) in two
fresh copies of the course. Stock is ``nbgrader autograde ASSIGNMENT`` (one
process, students one after another); autograder is ``autograder grade
ASSIGNMENT`` (default: one worker per core), once with every kernel sandboxed
(the default, with trusted checks), once with ``--unsandboxed`` and once as plain
warm grading was before the sandbox and trusted checks (``--unsandboxed`` and
``GuardedExecute.trusted_checks = False``). TensorFlow gets one thread per
process (``COURSE_TF_THREADS=1``). Prints the wall times, the speed-up over stock,
the sandbox's overhead, seconds per notebook, peak resident memory, and checks
that per-cell scores are identical in all three.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "autograder"


def env() -> dict[str, str]:
    out = os.environ.copy()
    out["COURSE_TF_THREADS"] = "1"
    out["PATH"] = os.path.dirname(sys.executable) + os.pathsep + out.get("PATH", "")
    return out


def copy_course(src: Path, assignment: str, dest: Path) -> Path:
    """nbgrader_config.py and source/<assignment> only (not the virtualenv, not old grades)."""
    dest.mkdir(parents=True)
    shutil.copy(src / "nbgrader_config.py", dest / "nbgrader_config.py")
    shutil.copytree(src / "source" / assignment, dest / "source" / assignment)
    subprocess.run([os.path.join(os.path.dirname(sys.executable), "nbgrader"), "generate_assignment",
                    assignment, "--force"], cwd=dest, env=env(), check=True, capture_output=True)
    return dest


def submissions(course: Path, assignment: str, count: int, fixture: bool) -> list[tuple[str, bytes]]:
    """(student, notebook bytes) for ``count`` students."""
    import nbformat

    name = next((course / "source" / assignment).glob("*.ipynb")).name
    if fixture:
        sys.path.insert(0, str(FIXTURES))
        import fixture_course

        release = nbformat.read(course / "release" / assignment / name, as_version=4)
        variants = ["correct", "partial", "blank"]
        return [(f"student{i:02d}", nbformat.writes(fixture_course.fill(release, assignment, variants[i % 3])).encode())
                for i in range(count)]
    solution = (course / "source" / assignment / name).read_bytes()
    blank = (course / "release" / assignment / name).read_bytes()
    return [(f"student{i:02d}", solution if i % 2 == 0 else blank) for i in range(count)]


def place(course: Path, assignment: str, name: str, subs: list[tuple[str, bytes]]) -> None:
    for student, data in subs:
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        (folder / name).write_bytes(data)


def cell_scores(course: Path, assignment: str) -> dict:
    sys.path.insert(0, str(ROOT))
    from autograder.coursedir import Course

    out = {}
    with Course(course).gradebook() as gb:
        for submission in gb.find_assignment(assignment).submissions:
            for nb in submission.notebooks:
                for grade in nb.grades:
                    out[(submission.student.id, nb.name, grade.name)] = grade.score
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default=None)
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--fixture", action="store_true", help="use the test fixture course (tf1)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary course copies")
    args = parser.parse_args()

    src = FIXTURES / "course" if args.fixture else ROOT
    assignment = args.assignment or ("tf1" if args.fixture else "05_training")
    if not (src / "source" / assignment).is_dir():
        sys.exit(f"No source/{assignment} in {src}.")
    tmp = Path(tempfile.mkdtemp(prefix="bench-autograde-"))
    try:
        stock = copy_course(src, assignment, tmp / "stock")
        ours = copy_course(src, assignment, tmp / "ours")
        open_copy = copy_course(src, assignment, tmp / "unsandboxed")
        plain = copy_course(src, assignment, tmp / "plain")
        with open(plain / "nbgrader_config.py", "a") as config:
            config.write("\nc.GuardedExecute.trusted_checks = False\n")
        name = next((stock / "source" / assignment).glob("*.ipynb")).name
        subs = submissions(stock, assignment, args.students, args.fixture)
        for course in (stock, ours, open_copy, plain):
            place(course, assignment, name, subs)
        n = len(subs)
        print(f"{n} submissions of {assignment} ({src}), {os.cpu_count()} cores, COURSE_TF_THREADS=1", flush=True)

        start = time.perf_counter()
        done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "nbgrader"), "autograde", assignment],
                              cwd=stock, env=env(), capture_output=True, text=True)
        stock_wall = time.perf_counter() - start
        stock_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        if done.returncode != 0:
            print(done.stderr[-3000:])
            return 1
        print(f"stock nbgrader autograde : {stock_wall:7.1f} s  {stock_wall / n:5.2f} s/notebook", flush=True)

        def run_ours(course: Path, label: str, *extra: str) -> tuple[float, dict] | None:
            summary_path = course / "summary.json"
            command = [sys.executable, "-m", "autograder.cli", "grade", assignment, "--no-progress",
                       "--summary-json", str(summary_path), *extra]
            if args.workers:
                command += ["--workers", str(args.workers)]
            start = time.perf_counter()
            done = subprocess.run(command, cwd=course, env=env(), capture_output=True, text=True)
            wall = time.perf_counter() - start
            if done.returncode != 0:
                print(done.stdout[-3000:], done.stderr[-3000:])
                return None
            summary = json.loads(summary_path.read_text())
            print(f"autograder grade, {label} ({len(summary['workers'])} workers): {wall:7.1f} s  "
                  f"{wall / n:5.2f} s/notebook  {summary.get('isolation')}", flush=True)
            return wall, summary

        baseline = run_ours(plain, "plain (no sandbox, no trusted checks)", "--unsandboxed")
        unsandboxed = run_ours(open_copy, "unsandboxed", "--unsandboxed")
        sandboxed = run_ours(ours, "sandboxed")
        if unsandboxed is None or sandboxed is None or baseline is None:
            return 1
        (plain_wall, _), (open_wall, _), (ours_wall, summary) = baseline, unsandboxed, sandboxed
        print(f"speed-up over stock: sandboxed {stock_wall / ours_wall:.2f}x, unsandboxed {stock_wall / open_wall:.2f}x")
        print(f"sandbox overhead: {100 * (ours_wall - open_wall) / open_wall:+.1f} % of unsandboxed warm grading")
        print(f"sandbox + trusted checks: {100 * (ours_wall - plain_wall) / plain_wall:+.1f} % of plain warm grading")
        workers = summary["workers"]

        mb = lambda b: b / 2**20  # noqa: E731
        print(f"peak RSS stock: {mb(stock_rss):.0f} MB (largest of nbgrader and its kernels)")
        for i, w in enumerate(workers):
            print(f"peak RSS worker {i}: process {mb(w.get('peak_rss', 0)):.0f} MB, zygote "
                  f"{mb(w.get('zygote_peak_rss', 0)):.0f} MB, largest kernel {mb(w.get('kernel_peak_rss', 0)):.0f} MB "
                  f"(zygote and kernels share copy-on-write pages); warm={w.get('warm')}")
        statuses = summary["counts"]
        a, b, c = cell_scores(stock, assignment), cell_scores(ours, assignment), cell_scores(open_copy, assignment)
        same = a == b == c == cell_scores(plain, assignment)
        print(f"statuses: {statuses}; per-cell scores identical to stock (sandboxed and unsandboxed): {same} "
              f"({len(a)} cells)")
        if not same:
            for key in sorted(set(a) | set(b) | set(c)):
                if not a.get(key) == b.get(key) == c.get(key):
                    print("  differs:", key, "stock", a.get(key), "sandboxed", b.get(key), "unsandboxed", c.get(key))
        return 0 if same else 1
    finally:
        if args.keep:
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
