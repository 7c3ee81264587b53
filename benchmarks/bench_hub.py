#!/usr/bin/env python3
"""A class logging in at once: N students on ``python3 tasks.py hub`` (run as root).

    .venv/bin/python benchmarks/bench_hub.py                 # 20 students
    .venv/bin/python benchmarks/bench_hub.py --students 40

Starts a real hub with throw-away accounts ``kstest<4 hex>-student1`` ... (removed at the end), then:

1. **baseline**: one student alone logs in through the hub's form, starts their server, fetches
   lesson 1 and submits it (the same HTTP requests a browser's JupyterLab sends);
2. **class**: the other N-1 students do the same, all at once (one thread each);
3. the instructor collects every submission (``nbgrader collect``).

Prints the time to the first and to every server, to every submission and to all of them
collected; each phase's time per student against the baseline; the memory of a student's server
(unique and resident, all its processes), the CPU seconds one server start costs, one lesson
kernel's memory (TensorFlow and the course imported), and what these project for 100 and 500
students on this machine (cores and memory), with where its limit is. Kernels are not started
by the class phase: they come when students open notebooks, and the projection adds them.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.hub.classhub import ClassHub, accounts_exist  # noqa: E402

LESSON = "01_input_data"
COURSE = "keras-sequential"


class Student:
    """One student's browser, as HTTP requests: login form, spawn, Assignment List calls."""

    def __init__(self, hub: ClassHub, name: str):
        self.hub, self.name = hub, name
        self.session = requests.Session()
        self.times: dict[str, float] = {}

    def _xsrf(self, path: str) -> str:
        for cookie in self.session.cookies:
            if cookie.name == "_xsrf" and cookie.path.rstrip("/") == path.rstrip("/"):
                return cookie.value
        return self.session.cookies.get("_xsrf", "")

    def login(self) -> None:
        page = self.session.get(f"{self.hub.url}/hub/login", timeout=60)
        found = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
        form = {"username": self.name, "password": self.hub.password, "_xsrf": found.group(1) if found else ""}
        response = self.session.post(f"{self.hub.url}/hub/login", data=form, timeout=120, allow_redirects=False)
        assert response.status_code in (302, 303), (self.name, response.status_code, response.text[:300])

    def start_server(self, timeout: float = 600) -> None:
        self.session.get(f"{self.hub.url}/hub/spawn/{self.name}", timeout=120, allow_redirects=False)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.session.get(f"{self.hub.url}/hub/api/users/{self.name}", timeout=60).json()
            server = (model.get("servers") or {}).get("", {})
            if server.get("ready"):
                break
            time.sleep(0.25)
        else:
            raise TimeoutError(f"{self.name}'s server did not start within {timeout} s")
        # JupyterLab's page: the OAuth redirects through the hub give the server's own cookie
        lab = self.session.get(f"{self.hub.url}/user/{self.name}/lab", timeout=120)
        assert lab.status_code == 200, (self.name, lab.status_code)

    def _post(self, action: str) -> dict:
        path = f"/user/{self.name}/"
        response = self.session.post(f"{self.hub.url}{path}assignments/{action}",
                                     data={"course_id": COURSE, "assignment_id": LESSON},
                                     headers={"X-XSRFToken": self._xsrf(path)}, timeout=300)
        assert response.status_code == 200, (self.name, action, response.status_code, response.text[:300])
        answer = response.json()
        assert answer.get("success"), (self.name, action, answer)
        return answer

    def run(self, clock_start: float) -> "Student":
        self.login()
        self.times["logged in"] = time.monotonic() - clock_start
        self.start_server()
        self.times["server ready"] = time.monotonic() - clock_start
        self._post("fetch")
        self.times["fetched"] = time.monotonic() - clock_start
        self._post("submit")
        self.times["submitted"] = time.monotonic() - clock_start
        return self


def server_memory(hub: ClassHub, names: list[str]) -> tuple[list[float], list[float], list[float]]:
    """Per account: unique memory, resident memory (MB) and CPU seconds of all its processes."""
    import pwd

    uids = {pwd.getpwnam(name).pw_uid: name for name in names}
    uss = {name: 0.0 for name in names}
    rss, cpu = dict(uss), dict(uss)
    for process in psutil.process_iter(["uids"]):
        try:
            name = uids.get(process.info["uids"].real)
            if name is None:
                continue
            info = process.memory_full_info()
            times = process.cpu_times()
            uss[name] += info.uss / 2**20
            rss[name] += info.rss / 2**20
            cpu[name] += times.user + times.system + times.children_user + times.children_system
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return list(uss.values()), list(rss.values()), list(cpu.values())


def kernel_memory(hub: ClassHub, name: str) -> float:
    """Peak memory (MB) of a Python with what a lesson's kernel imports (TensorFlow, the course)."""
    probe = ("import resource, course, keras, tensorflow, ipykernel; "
             "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
    result = hub.run_as(name, [f"{hub.venv_bin()}/python", "-c", probe])
    try:
        return float(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=20)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench_hub.py needs root: the hub creates one Linux account per student.")
    if args.students < 2:
        sys.exit("--students must be at least 2 (one for the baseline, the rest as the class)")
    hub = ClassHub(students=args.students, second_course=None,
                   artifacts=ROOT / "test-artifacts" / "bench_hub")
    cores = psutil.cpu_count() or 1
    memory_total = psutil.virtual_memory().total / 2**20
    print(f"bench_hub: {args.students} students, {cores} cores, {memory_total / 1024:.1f} GiB memory, "
          f"load average {os.getloadavg()[0]:.2f} at start", flush=True)
    try:
        started = time.monotonic()
        hub.start()
        print(f"hub up (accounts, course copy, lessons released): {time.monotonic() - started:.1f} s", flush=True)
        names = list(hub.plan.courses[0].students)

        alone = Student(hub, names[0]).run(time.monotonic())
        base = alone.times
        print(f"\nbaseline, one student alone: logged in {base['logged in']:.2f} s, server ready "
              f"{base['server ready']:.2f} s, fetched {base['fetched']:.2f} s, submitted {base['submitted']:.2f} s")
        cpu_before = dict(zip(names, server_memory(hub, names)[2]))

        class_names = names[1:]
        clock = time.monotonic()
        barrier = threading.Barrier(len(class_names))

        def one(name: str) -> Student:
            barrier.wait()
            return Student(hub, name).run(clock)

        with ThreadPoolExecutor(max_workers=len(class_names)) as pool:
            students = list(pool.map(one, class_names))
        all_submitted = time.monotonic() - clock
        collect_start = time.monotonic()
        collected = hub.run_as(hub.plan.courses[0].instructor, ["nbgrader", "collect", LESSON],
                               cwd=hub.course_copy())
        collect_seconds = time.monotonic() - collect_start
        submitted = hub.course_copy() / "submitted"
        count = sum(1 for name in names if (submitted / name / LESSON / f"{LESSON}.ipynb").exists())
        assert collected.returncode == 0 and count == len(names), collected.stdout + collected.stderr

        uss, rss, cpu = server_memory(hub, names)
        start_cpu = [cpu[i] - cpu_before.get(name, 0) if i == 0 else cpu[i] for i, name in enumerate(names)]
        kernel = kernel_memory(hub, names[0])
        n = len(class_names)
        ready = sorted(s.times["server ready"] for s in students)
        done = sorted(s.times["submitted"] for s in students)
        per_student = statistics.median(done)
        print(f"\nclass of {n} at once:")
        print(f"  first server ready      {ready[0]:7.2f} s   (alone: {base['server ready']:.2f} s, "
              f"x{ready[0] / base['server ready']:.2f})")
        print(f"  median server ready     {statistics.median(ready):7.2f} s   "
              f"(x{statistics.median(ready) / base['server ready']:.2f} the baseline)")
        print(f"  every server ready      {ready[-1]:7.2f} s")
        print(f"  every submission in     {all_submitted:7.2f} s   (median student {per_student:.2f} s, "
              f"x{per_student / base['submitted']:.2f} the baseline)")
        print(f"  all {count} collected       {all_submitted + collect_seconds:7.2f} s   "
              f"(nbgrader collect: {collect_seconds:.2f} s)")
        print(f"  {n} students one after another would take {n * base['submitted']:.1f} s: at once "
              f"x{all_submitted / (n * base['submitted']):.2f} of that")
        mean_uss, mean_rss = statistics.mean(uss), statistics.mean(rss)
        cpu_per_start = statistics.median(start_cpu[1:])
        print(f"\nper student server: {mean_uss:.0f} MB unique ({mean_rss:.0f} MB resident), "
              f"{cpu_per_start:.2f} CPU s to start, fetch and submit")
        print(f"one lesson kernel (TensorFlow + course imported): {kernel:.0f} MB peak")
        rate = n / ready[-1]
        usable = memory_total * 0.85
        print("\nprojection on this machine (same hub, LocalProcessSpawner):")
        for size in (100, 500):
            servers = size * mean_uss / 1024
            with_kernels = size * (mean_uss + kernel) / 1024
            print(f"  {size:3d} students: all servers up in ~{size / rate:5.0f} s at the measured rate "
                  f"(CPU bound: {size * cpu_per_start / cores:5.0f} s on {cores} cores); memory "
                  f"{servers:5.1f} GiB idle, {with_kernels:5.1f} GiB with one lesson kernel each "
                  f"({'fits' if with_kernels * 1024 < usable else 'does NOT fit'} in {memory_total / 1024:.0f} GiB)")
        limit_idle = int(usable / mean_uss)
        limit_kernels = int(usable / (mean_uss + kernel))
        print(f"  limit: ~{limit_kernels} students working at once (a kernel each), ~{limit_idle} with "
              f"idle servers; beyond that, more machines (Zero to JupyterHub, README)")
        return 0
    finally:
        hub.cleanup()
        left = accounts_exist(hub.plan.users)
        if left:
            print(f"accounts left behind: {left}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
