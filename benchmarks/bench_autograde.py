#!/usr/bin/env python3
"""autograder (sandboxed, unsandboxed, plain, on Dask) versus stock ``nbgrader autograde``, in one run.

    python benchmarks/bench_autograde.py                       # every row, 24 submissions of 05_training
    python benchmarks/bench_autograde.py --rows stock,plain,sandboxed
    python benchmarks/bench_autograde.py --rows single         # 1 submission: autograder vs stock
    python benchmarks/bench_autograde.py --assignment 03_dense_layers --students 12
    python benchmarks/bench_autograde.py --fixture             # the test fixture's tf1 lesson

Rows (``--rows``, comma-separated; default all), each on its own fresh copy of the course
with the same submissions (alternately the reference solution and the blank release
notebook, or the fixture's correct/partial/blank variants):

* ``stock``: ``nbgrader autograde ASSIGNMENT`` (one process, students one after another);
* ``plain``: ``autograder grade --unsandboxed`` with ``GuardedExecute.trusted_checks = False``,
  warm grading as it was before the sandbox and the trusted checks (the baseline of their cost);
* ``unsandboxed``: ``autograder grade --unsandboxed`` (trusted checks on);
* ``sandboxed``: ``autograder grade`` as an instructor runs it (sandbox and trusted checks);
* ``dask``: the same through the dask executor (``--scheduler``) on a local Dask cluster of
  ``--dask-workers`` single-threaded worker processes, started before the clock; compared
  with ``sandboxed`` (the local executor; target: within 15 %);
* ``single``: one submission, ``autograder grade`` versus stock (target: no slower).

``--repeat N`` runs the rows N times, interleaved, and compares each row's best time (the
one least disturbed by other jobs on a shared machine); every run's time is printed.

autograder uses one worker per core unless ``--workers``; TensorFlow gets one thread per
process (``COURSE_TF_THREADS=1``). Prints the wall times, ratios against baselines measured in
this same run, seconds per notebook, the CPU seconds each run used (all its processes, in a cgroup of
its own where possible: on a shared machine, less disturbed by other jobs than wall time), the trusted
checks' own seconds per notebook, the load average before and after each row (other jobs on the machine change the numbers: read them
with it), peak resident memory, and checks that per-cell scores are identical in every row.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "autograder"
ROWS = ("stock", "plain", "unsandboxed", "sandboxed", "dask", "single")


def env() -> dict[str, str]:
    out = os.environ.copy()
    out["COURSE_TF_THREADS"] = "1"
    out["PATH"] = os.path.dirname(sys.executable) + os.pathsep + out.get("PATH", "")
    return out


def copy_course(src: Path, assignment: str, dest: Path) -> Path:
    """nbgrader_config.py, source/<assignment> and the quiz's answer key only (not the virtualenv,
    not old grades)."""
    dest.mkdir(parents=True)
    shutil.copy(src / "nbgrader_config.py", dest / "nbgrader_config.py")
    shutil.copytree(src / "source" / assignment, dest / "source" / assignment)
    shutil.copytree(src / "answer_keys", dest / "answer_keys")  # instructor material (course/answer_key.py)
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
    from autograder.core.coursedir import Course

    out = {}
    with Course(course).gradebook() as gb:
        for submission in gb.find_assignment(assignment).submissions:
            for nb in submission.notebooks:
                for grade in nb.grades:
                    out[(submission.student.id, nb.name, grade.name)] = grade.score
    return out


CPUACCT = Path("/sys/fs/cgroup/cpuacct")


def run_measured(command: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``command``; return it and the CPU seconds it and every process it started used.

    Where a cgroup-v1 ``cpuacct`` hierarchy is writable (Linux, root), the command runs in a
    cgroup of its own, which also counts processes nobody waits for (sandboxed kernels, orphans);
    elsewhere, the CPU time of waited-for descendants (``RUSAGE_CHILDREN``).
    """
    group = None
    if (CPUACCT / "cgroup.procs").exists() and os.access(CPUACCT, os.W_OK):
        group = CPUACCT / f"bench-autograde-{os.getpid()}-{time.monotonic_ns()}"
        try:
            group.mkdir()
        except OSError:
            group = None
    procs = str(group / "cgroup.procs") if group else None

    def enter() -> None:
        if procs:
            with open(procs, "w") as handle:
                handle.write(str(os.getpid()))

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = usage.ru_utime + usage.ru_stime
    done = subprocess.run(command, cwd=cwd, env=env(), capture_output=True, text=True, preexec_fn=enter)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime - before
    if group:
        try:
            deadline = time.monotonic() + 30
            while (group / "cgroup.procs").read_text().strip() and time.monotonic() < deadline:
                time.sleep(0.1)  # the run's last processes are still exiting
            left = (group / "cgroup.procs").read_text().split()
            cpu = int((group / "cpuacct.usage").read_text()) / 1e9
            if left:
                print(f"  note: {len(left)} process(es) of the run still alive 30 s after it ended", flush=True)
            else:
                group.rmdir()
        except OSError:
            pass
    return done, cpu


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


class Bench:
    """The rows of one run: their course copies, wall times and summaries."""

    def __init__(self, args: argparse.Namespace, src: Path, assignment: str, tmp: Path):
        self.args, self.src, self.assignment, self.tmp = args, src, assignment, tmp
        self.walls: dict[str, float] = {}  # the best (lowest) of the repeats
        self.all_walls: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}  # CPU seconds of each run (less disturbed by load)
        self.repeat = 0
        self.summaries: dict[str, dict] = {}
        self.courses: dict[str, Path] = {}
        self.counts: dict[str, int] = {}

    def course(self, row: str, students: int, trusted: bool = True) -> Path:
        course = copy_course(self.src, self.assignment, self.tmp / f"{row}-{self.repeat}")
        if not trusted:
            with open(course / "nbgrader_config.py", "a") as config:
                config.write("\nc.GuardedExecute.trusted_checks = False\n")
        name = next((course / "source" / self.assignment).glob("*.ipynb")).name
        subs = submissions(course, self.assignment, students, self.args.fixture)
        place(course, self.assignment, name, subs)
        self.courses[row], self.counts[row] = course, len(subs)
        return course

    def record(self, row: str, wall: float) -> None:
        self.all_walls.setdefault(row, []).append(wall)
        self.walls[row] = min(self.all_walls[row])

    def stock(self, row: str, course: Path) -> bool:
        before = load()
        start = time.perf_counter()
        done, cpu = run_measured([os.path.join(os.path.dirname(sys.executable), "nbgrader"), "autograde",
                                  self.assignment], course)
        wall = time.perf_counter() - start
        self.cpu.setdefault(row, []).append(cpu)
        if done.returncode != 0:
            print(f"{row}: nbgrader autograde failed\n{done.stderr[-3000:]}")
            return False
        self.record(row, wall)
        n = self.counts[row]
        print(f"{row:<12} stock nbgrader autograde          : {wall:7.1f} s  {wall / n:5.2f} s/notebook  "
              f"cpu {self.cpu[row][-1]:6.1f} s  load {before} -> {load()}", flush=True)
        return True

    def ours(self, row: str, course: Path, label: str, *extra: str, workers: bool = True) -> bool:
        summary_path = course / "summary.json"
        command = [sys.executable, "-m", "autograder.cli.main", "grade", self.assignment, "--no-progress",
                   "--summary-json", str(summary_path), *extra]
        if workers and self.args.workers:
            command += ["--workers", str(self.args.workers)]
        before = load()
        start = time.perf_counter()
        done, cpu = run_measured(command, course)
        wall = time.perf_counter() - start
        self.cpu.setdefault(row, []).append(cpu)
        if done.returncode != 0:
            print(f"{row}: autograder grade failed\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
            return False
        summary = json.loads(summary_path.read_text())
        self.record(row, wall)
        if wall <= self.walls[row]:
            self.summaries[row] = summary
        n = self.counts[row]
        notebooks = [nb for r in summary.get("results", []) for nb in r.get("notebooks") or []]
        trusted = [nb.get("trusted_seconds") or 0.0 for nb in notebooks]
        trusted_text = (f"  trusted {statistics.fmean(trusted):.3f} s/notebook"
                        if trusted and any(trusted) else "")
        print(f"{row:<12} autograder grade, {label:<19}: {wall:7.1f} s  {wall / n:5.2f} s/notebook  "
              f"cpu {self.cpu[row][-1]:6.1f} s  load {before} -> {load()}  {len(summary.get('workers') or [])} workers  "
              f"{summary.get('isolation')}{trusted_text}", flush=True)
        return True


def ratio(bench: Bench, row: str, base: str, text: str, target: str = "") -> None:
    """Wall-time ratio of the best runs; and of the least CPU time (what a busy machine disturbs
    least), except for the dask row, whose cluster runs outside this run's processes. With three
    or more repeats, also median to median (one disturbed run moves neither median)."""
    if row in bench.walls and base in bench.walls:
        value = bench.walls[row] / bench.walls[base]
        line = f"{text}: {value:.2f} ({100 * (value - 1):+.1f} %){target}"
        cpu_known = "dask" not in (row, base) and bench.cpu.get(row) and bench.cpu.get(base)
        if cpu_known:
            cpu = min(bench.cpu[row]) / min(bench.cpu[base])
            line += f"; CPU time {cpu:.2f} ({100 * (cpu - 1):+.1f} %)"
        if min(len(bench.all_walls[row]), len(bench.all_walls[base])) >= 3:
            median = statistics.median(bench.all_walls[row]) / statistics.median(bench.all_walls[base])
            line += f"; median to median {100 * (median - 1):+.1f} %"
            if cpu_known:
                median = statistics.median(bench.cpu[row]) / statistics.median(bench.cpu[base])
                line += f" (CPU time {100 * (median - 1):+.1f} %)"
        print(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default=None)
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--workers", type=int, default=None, help="local workers (default: one per core)")
    parser.add_argument("--dask-workers", type=int, default=2, help="Dask worker processes for the dask row")
    parser.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated, of {', '.join(ROWS)}")
    parser.add_argument("--fixture", action="store_true", help="use the test fixture course (tf1)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the rows N times, interleaved; ratios use each row's best time")
    parser.add_argument("--keep", action="store_true", help="keep the temporary course copies")
    args = parser.parse_args()
    rows = [row.strip() for row in args.rows.split(",") if row.strip()]
    unknown = set(rows) - set(ROWS)
    if unknown:
        parser.error(f"unknown rows {sorted(unknown)}; choose from {', '.join(ROWS)}")
    if "dask" in rows and "sandboxed" not in rows:
        rows.insert(rows.index("dask"), "sandboxed")  # dask is compared with the local executor

    src = FIXTURES / "course" if args.fixture else ROOT
    assignment = args.assignment or ("tf1" if args.fixture else "05_training")
    if not (src / "source" / assignment).is_dir():
        sys.exit(f"No source/{assignment} in {src}.")
    tmp = Path(tempfile.mkdtemp(prefix="bench-autograde-"))
    bench = Bench(args, src, assignment, tmp)
    cluster: list[subprocess.Popen] = []
    ok = True
    try:
        print(f"{args.students} submissions of {assignment} ({src}), {os.cpu_count()} cores, COURSE_TF_THREADS=1, "
              f"load average (1/5 min) {load()}, rows: {', '.join(rows)}", flush=True)
        for repeat, row in ((r, row) for r in range(args.repeat) for row in rows):
            bench.repeat = repeat
            if row == "stock":
                ok &= bench.stock(row, bench.course(row, args.students))
            elif row == "plain":
                ok &= bench.ours(row, bench.course(row, args.students, trusted=False),
                                 "plain (no sandbox, no trusted)", "--unsandboxed")
            elif row == "unsandboxed":
                ok &= bench.ours(row, bench.course(row, args.students), "unsandboxed", "--unsandboxed")
            elif row == "sandboxed":
                ok &= bench.ours(row, bench.course(row, args.students), "sandboxed")
            elif row == "dask":
                sys.path.insert(0, str(Path(__file__).resolve().parent))
                from bench_dask import start_cluster

                course = bench.course(row, args.students)
                address, cluster = start_cluster(args.dask_workers, tmp)
                ok &= bench.ours(row, course, f"dask ({args.dask_workers} procs)", "--scheduler", address,
                                 workers=False)
                from bench_dask import stop

                stop(cluster)
                cluster = []
            elif row == "single":
                ok &= bench.stock("single-stock", bench.course("single-stock", 1))
                ok &= bench.ours("single", bench.course("single", 1), "1 submission")
        report(bench)
        same = compare(bench)
        return 0 if ok and same else 1
    finally:
        if cluster:
            from bench_dask import stop

            stop(cluster)
        if args.keep:
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def report(bench: Bench) -> None:
    print("---")
    if any(len(walls) > 1 for walls in bench.all_walls.values()):
        for row, walls in bench.all_walls.items():
            print(f"{row:<12} runs: {', '.join(f'{w:.1f}' for w in walls)} s; best {min(walls):.1f} s; "
                  f"cpu {', '.join(f'{c:.1f}' for c in bench.cpu.get(row, []))} s")
    for row in ("plain", "unsandboxed", "sandboxed", "dask"):
        ratio(bench, "stock", row, f"speed-up of {row} over stock (stock / {row})", "; target >= 4 (sandboxed)"
              if row == "sandboxed" else "")
    ratio(bench, "sandboxed", "unsandboxed", "sandboxed / unsandboxed (the sandbox's cost)")
    ratio(bench, "unsandboxed", "plain", "unsandboxed / plain (the trusted checks' cost)")
    ratio(bench, "sandboxed", "plain", "sandboxed / plain (sandbox + trusted checks)", "; target <= 1.10")
    ratio(bench, "dask", "sandboxed", "dask / local executor", "; target <= 1.15")
    if "dask" in bench.walls and "sandboxed" in bench.walls:
        n = bench.counts["dask"]
        results = bench.summaries["dask"].get("results", [])
        mean = lambda key: statistics.fmean(r.get(key) or 0.0 for r in results) if results else 0.0  # noqa: E731
        print(f"  dask executor overhead per notebook: {(bench.walls['dask'] - bench.walls['sandboxed']) / n:+.3f} s "
              f"(wall-time difference / submissions); on a Dask worker: grading {mean('seconds'):.3f} s, "
              f"task with unpacking, packing and waits {mean('remote_seconds'):.3f} s; recording here "
              f"{mean('record_seconds'):.3f} s (overlapped)")
    ratio(bench, "single", "single-stock", "1 submission: autograder / stock", "; target <= 1.0")
    if "stock" in bench.walls:
        stock_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 2**10
        print(f"peak RSS: {stock_rss / 2**20:.0f} MB (largest child process of this run: nbgrader, a kernel, "
              f"or a grader)")
    main_row = next((r for r in ("sandboxed", "unsandboxed", "plain") if r in bench.summaries), None)
    if main_row:
        for i, w in enumerate(bench.summaries[main_row].get("workers") or []):
            mb = lambda b: (b or 0) / 2**20  # noqa: E731
            print(f"{main_row} worker {i}: process {mb(w.get('peak_rss')):.0f} MB, zygote "
                  f"{mb(w.get('zygote_peak_rss')):.0f} MB, largest kernel {mb(w.get('kernel_peak_rss')):.0f} MB "
                  f"(zygote, kernels and the trusted process share copy-on-write pages); warm={w.get('warm')}")


def compare(bench: Bench) -> bool:
    """Per-cell scores identical in every row (the single-submission rows among themselves)."""
    same = True
    for group in ([r for r in bench.walls if not r.startswith("single")], ["single-stock", "single"]):
        group = [r for r in group if r in bench.walls]
        if len(group) < 2:
            continue
        scores = {row: cell_scores(bench.courses[row], bench.assignment) for row in group}
        first = scores[group[0]]
        equal = all(s == first for s in scores.values()) and len(first) > 0
        statuses = {row: bench.summaries[row].get("counts") for row in group if row in bench.summaries}
        print(f"per-cell scores identical in {', '.join(group)}: {equal} ({len(first)} cells); statuses {statuses}")
        if not equal:
            same = False
            for key in sorted(set().union(*scores.values())):
                values = {row: s.get(key) for row, s in scores.items()}
                if len(set(values.values())) > 1:
                    print("  differs:", key, values)
    return same


if __name__ == "__main__":
    sys.exit(main())
