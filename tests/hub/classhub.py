"""A real class hub for tests: ``python3 tasks.py hub`` as root, with throw-away Linux accounts.

One hub serves a whole test module (starting it costs the accounts, two course copies and the
release of 14 lessons). Accounts are ``instructor``, ``student1`` ... for the course and
``instructor2`` ... for a second course ``kstest-other``, each behind this run's own prefix
(``kstest<4 hex>-``: see ``REGISTRY``); the exchange and the hub's
state live in fresh folders under /tmp. Stopping sends SIGTERM to the hub as a person's Ctrl-C
would; the accounts (with their homes) and the folders are removed afterwards, also when a test
failed.
"""
from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, find_free_port

sys.path.insert(0, str(ROOT / "hub"))
from classplan import ClassPlan, make_plan  # noqa: E402

#: Every run's accounts get their own prefix (kstest<4 hex>-student1 ...), so two test runs on
#: one machine (a developer's and CI's) never remove each other's accounts. A run records its
#: accounts here with its pid; the next run removes those of runs that are gone (killed).
REGISTRY = Path("/tmp/kstest-accounts")


def unique_prefix() -> str:
    return f"kstest{secrets.token_hex(2)}-"
SECOND_COURSE = "kstest-other"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts" / "hub"
#: The first run installs the hub's environment (a few minutes); later runs reuse it.
START_SECONDS = 900


class ClassHub:
    """``tasks.py hub`` on a free port, its plan, and helpers to act as its accounts."""

    def __init__(self, students: int = 2, second_course: str | None = SECOND_COURSE,
                 prefix: str | None = None, artifacts: Path = ARTIFACTS):
        tag = secrets.token_hex(4)
        self.prefix = prefix = prefix or unique_prefix()
        self.port = find_free_port()
        self.password = "kstest-" + secrets.token_hex(8)
        self.state_dir = Path(f"/tmp/kstest-hub-{tag}")
        self.exchange = Path(f"/tmp/kstest-exchange-{tag}")
        self.plan: ClassPlan = make_plan("keras-sequential", students, prefix=prefix,
                                         second_course=second_course,
                                         exchange_root=str(self.exchange))
        self.students, self.second_course = students, second_course
        artifacts.mkdir(parents=True, exist_ok=True)
        self.log_path = artifacts / "hub.log"
        self.process: subprocess.Popen | None = None
        self.started_seconds = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        command = [sys.executable, str(ROOT / "tasks.py"), "hub", "--port", str(self.port),
                   "--students", str(self.students), "--password", self.password,
                   "--account-prefix", self.prefix, "--state-dir", str(self.state_dir),
                   "--exchange-root", str(self.exchange)]
        if self.second_course:
            command += ["--second-course", self.second_course]
        return command

    def user(self, name: str) -> str:
        """This run's account name for ``student1``, ``instructor`` ..."""
        return self.prefix + name

    def _register(self) -> Path:
        REGISTRY.mkdir(mode=0o700, exist_ok=True)
        entry = REGISTRY / f"{self.prefix}json"
        entry.write_text(json.dumps({"pid": os.getpid(), "users": self.plan.users,
                                     "folders": [str(self.state_dir), str(self.exchange)]}))
        return entry

    def start(self) -> None:
        remove_stale_runs()
        self._register()
        started = time.monotonic()
        env = {key: value for key, value in os.environ.items() if not key.startswith("JUPYTER")}
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.command(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                            env=env, start_new_session=True)
        deadline = started + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"tasks.py hub exited with {self.process.returncode}:\n{self.log()}")
            if "JupyterHub is now running" in self.log():
                try:
                    urllib.request.urlopen(f"{self.url}/hub/api", timeout=5).close()
                    self.started_seconds = time.monotonic() - started
                    return
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
            time.sleep(1)
        pytest.fail(f"the hub did not start within {START_SECONDS} s:\n{self.log()}")

    def log(self) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(line for line in text.splitlines() if "is ignored: it is neither" not in line)

    def stop(self, seconds: float = 60) -> int | None:
        """SIGTERM to the hub (as Ctrl-C would), then wait; returns its exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=seconds)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
                raise AssertionError(f"the hub did not stop within {seconds} s of SIGTERM")
        return self.process.returncode

    def cleanup(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                self.stop()
            except AssertionError:
                pass
        for process in leftover_processes(self.plan.users, self.state_dir):
            process.kill()
        remove_accounts(self.plan.users)
        shutil.rmtree(self.state_dir, ignore_errors=True)
        shutil.rmtree(self.exchange, ignore_errors=True)
        (REGISTRY / f"{self.prefix}json").unlink(missing_ok=True)

    # ----------------------------------------------------------------- acting as an account

    def home(self, user: str) -> Path:
        return Path(pwd.getpwnam(user).pw_dir)

    def course_copy(self, course_index: int = 0) -> Path:
        course = self.plan.courses[course_index]
        return self.home(course.instructor) / course.course_id

    def run_as(self, user: str, command: list[str], cwd: Path | None = None,
               **extra_env: str) -> subprocess.CompletedProcess:
        """A command as ``user`` with the environment their hub server gives a terminal."""
        env = {"PATH": f"{self.venv_bin()}:/usr/local/bin:/usr/bin:/bin", "HOME": str(self.home(user)),
               "USER": user, "LOGNAME": user, "JUPYTER_CONFIG_PATH": str(self.state_dir / "jupyter"),
               "COURSE_QUIZ_MODE": "graded", **extra_env}
        return subprocess.run([sbin("runuser"), "-u", user, "--", *command], cwd=cwd or self.home(user),
                              env=env, capture_output=True, text=True, timeout=600)

    def venv_bin(self) -> str:
        return "/opt/keras-course-hub/venv/bin"


def remove_stale_runs() -> None:
    """Accounts and folders of earlier runs whose process is gone (killed before cleaning up)."""
    import psutil

    for entry in REGISTRY.glob("kstest*.json") if REGISTRY.is_dir() else []:
        try:
            run = json.loads(entry.read_text())
        except (OSError, ValueError):
            continue
        if psutil.pid_exists(run["pid"]):
            continue
        remove_accounts(run["users"])
        for folder in run["folders"]:
            shutil.rmtree(folder, ignore_errors=True)
        entry.unlink(missing_ok=True)


def sbin(name: str) -> str:
    """A system administration command, also when PATH lacks the sbin folders."""
    return shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin") or name


def accounts_exist(names) -> list[str]:
    found = []
    for name in names:
        try:
            pwd.getpwnam(name)
            found.append(name)
        except KeyError:
            pass
    return found


def remove_accounts(names) -> None:
    """``userdel --remove`` for each test account (home and mail spool with it)."""
    import psutil

    for name in accounts_exist(names):
        uid = pwd.getpwnam(name).pw_uid
        for process in psutil.process_iter(["uids"]):  # this test's own accounts' processes only
            try:
                if process.info["uids"] and process.info["uids"].real == uid:
                    process.kill()
            except psutil.NoSuchProcess:
                pass
        subprocess.run([sbin("userdel"), "--remove", "--force", name], capture_output=True)
        subprocess.run([sbin("groupdel"), name], capture_output=True)
    still = accounts_exist(names)
    assert not still, f"could not remove test accounts {still}"


def leftover_processes(users, state_dir: Path) -> list:
    """Processes of the test accounts, and the hub's or proxy's own, still alive (zombies are
    dead: they only wait for their parent to read their exit status, and are left out).
    Each process's ``info["cmdline"]`` holds its command line as read here."""
    import psutil

    uids = set()
    for name in accounts_exist(users):
        uids.add(pwd.getpwnam(name).pw_uid)
    found = []
    for process in psutil.process_iter(["pid", "uids", "cmdline", "cwd", "status"]):
        try:
            info = process.info
            if info["status"] == psutil.STATUS_ZOMBIE:
                continue
            command = " ".join(info["cmdline"] or [])
            if (info["uids"] and info["uids"].real in uids) or str(state_dir) in command \
                    or (info["cwd"] or "") == str(state_dir):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def require_root_and_chromium() -> None:
    """Fail (never skip): the class hub needs root (Linux accounts) and Debian's Chromium."""
    if not (hasattr(os, "geteuid") and os.geteuid() == 0):
        pytest.fail("tests/hub need root: `tasks.py hub` creates Linux accounts (CI runs as root).")
    if not CHROMIUM.exists():
        pytest.fail(f"Debian's Chromium is missing at {CHROMIUM}: `apt-get install chromium` "
                    "(.ci/run installs it).")


# --------------------------------------------------------------------------- the browser side

class Browser:
    """One Chromium for a test module; each account logs in in its own context (own cookies)."""

    def __init__(self, hub: ClassHub):
        from playwright.sync_api import sync_playwright

        self.hub = hub
        self._playwright = sync_playwright().start()
        self.browser = self._playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                        args=CHROMIUM_ARGS)

    def close(self) -> None:
        self.browser.close()
        self._playwright.stop()

    def login(self, user: str, wait_for_lab: bool = True):
        """A page logged in as ``user`` through the hub's own form, on their JupyterLab."""
        context = self.browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.goto(f"{self.hub.url}/hub/login")
        page.fill("#username_input", user)
        page.fill("#password_input", self.hub.password)
        page.click("#login_submit")
        if wait_for_lab:
            page.locator(".lm-MenuBar-item", has_text="Nbgrader").wait_for(timeout=180_000)
        return page


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out after {seconds} s waiting for {what}")


SCORE = re.compile(r"Score:\s*([\d.]+)\s*/\s*([\d.]+)")
