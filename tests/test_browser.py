"""The activation inspector in a real JupyterLab, driven through Debian's Chromium.

Starts JupyterLab on a free localhost port with a random token and a temporary
root holding ``tests/fixtures/browser/inspector.ipynb``, opens the notebook,
runs all cells, drags the sample slider and checks that the number box, the
table and the figure follow. It also checks that nbgrader's lab extension is
loaded (the notebook toolbar's "Validate" button and the "Nbgrader" menu).
A screenshot is saved to ``test-artifacts/browser/``. The server (and its
kernel) is shut down when the test ends, also when it fails.

Playwright cannot download a browser here: the test uses /usr/bin/chromium and
fails, rather than skips, without it (``.ci/run`` installs it).
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, find_free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NOTEBOOK = ROOT / "tests" / "fixtures" / "browser" / "inspector.ipynb"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
SERVER_START_SECONDS = 90
CELLS_SECONDS = 120
#: JupyterLab user settings for the test server (plugin id as path -> settings).
SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"autoStartDefaultKernel": True},
}


class JupyterLab:
    """A JupyterLab server of our own: temporary root, config, settings and runtime dirs."""

    def __init__(self, workdir: Path):
        self.port = find_free_port()
        self.token = secrets.token_hex(16)
        self.root = workdir / "root"
        self.root.mkdir()
        shutil.copy(NOTEBOOK, self.root / NOTEBOOK.name)
        self.log_path = workdir / "jupyterlab.log"
        self.env = self._environment(workdir)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _environment(self, workdir: Path) -> dict[str, str]:
        dirs = {name: workdir / name.lower() for name in (
            "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
            "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR")}
        for path in dirs.values():
            path.mkdir()
        # No "get Jupyter news?" toast over the notebook, no "Select Kernel" dialog.
        for plugin, settings in SETTINGS.items():
            path = dirs["JUPYTERLAB_SETTINGS_DIR"] / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(settings))
        env = {**os.environ, **{name: str(path) for name, path in dirs.items()}}
        env.update(COURSE_TF_THREADS="1", PYTHONUNBUFFERED="1")
        for name in ("NBGRADER_EXECUTION", "COURSE_WIDGETS"):
            env.pop(name, None)
        return env

    def command(self) -> list[str]:
        """The command line that starts this server."""
        command = [sys.executable, "-m", "jupyterlab", "--no-browser",
                   f"--IdentityProvider.token={self.token}", f"--port={self.port}",
                   "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
                   f"--ServerApp.root_dir={self.root}", "--LabApp.news_url=None",
                   "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI containers run as root
            command.append("--allow-root")
        return command

    def start(self) -> None:
        """Start the server in ``self.root`` and wait until its REST API answers."""
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.command(), cwd=self.root, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self._api("status"), timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        pytest.fail(f"JupyterLab did not answer within {SERVER_START_SECONDS} s:\n{self.log()}")

    def _api(self, path: str) -> str:
        return f"{self.url}/api/{path}?token={self.token}"

    def stop(self) -> None:
        """Ask the server to shut down (it stops its kernels), then make sure it is gone."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            urllib.request.urlopen(urllib.request.Request(self._api("shutdown"), method="POST"),
                                   timeout=10).close()
            self.process.wait(timeout=20)
        except (urllib.error.URLError, ConnectionError, TimeoutError, subprocess.TimeoutExpired):
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def kernels(self) -> list[dict]:
        """The server's running kernels, with their ``execution_state`` ([] for a moment while one
        starts: jupyter_server answers 500 when listed before its ``last_activity`` is set)."""
        try:
            with urllib.request.urlopen(self._api("kernels"), timeout=5) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code >= 500:
                return []
            raise

    def wait_for_idle_kernel(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if any(kernel["execution_state"] == "idle" for kernel in self.kernels()):
                return
            time.sleep(0.5)
        pytest.fail(f"no kernel became idle within {seconds} s:\n{self.log()}")

    def log(self) -> str:
        """The end of the server's log (kernel starts, restarts and errors show here)."""
        return self.log_path.read_text(errors="replace")[-8000:] if self.log_path.exists() else ""


@pytest.fixture
def jupyterlab(tmp_path):
    server = JupyterLab(tmp_path)
    try:
        server.start()
        yield server
    finally:
        server.stop()
    assert server.process.poll() is not None, "the JupyterLab server is still running"


def require_chromium(path: Path = CHROMIUM) -> None:
    """Fail (never skip) when Debian's Chromium is not installed."""
    if not path.exists():
        pytest.fail(f"Debian's Chromium is missing at {path}: install it with "
                    "`sudo apt-get install chromium` (CI installs it in .ci/run). Playwright "
                    "cannot download its own browser here.")


@pytest.fixture
def chromium_page():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            yield page
        finally:
            browser.close()


def _screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.mark.browser
@pytest.mark.slow
def test_inspector_follows_the_slider_in_jupyterlab(jupyterlab, chromium_page):
    page = chromium_page
    try:
        _drive_the_inspector(page, jupyterlab)
    finally:
        _screenshot(page, "inspector.png")
        (ARTIFACTS / "jupyterlab.log").write_text(jupyterlab.log())


def _drive_the_inspector(page, server: JupyterLab) -> None:
    page.goto(f"{server.url}/lab/tree/{NOTEBOOK.name}?token={server.token}")
    panel = page.locator(".jp-NotebookPanel")
    panel.wait_for(timeout=60_000)
    server.wait_for_idle_kernel(60)
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=60_000)

    # nbgrader's lab extension: the Validate button on the notebook toolbar, the Nbgrader menu.
    validate = panel.locator(".jp-NotebookPanel-toolbar .validate-button")
    assert validate.count() == 1 and validate.is_visible(), "nbgrader's Validate button is missing"
    assert "Validate" in validate.inner_text()
    assert page.locator(".lm-MenuBar-item", has_text="Nbgrader").count() == 1, \
        "nbgrader's menu is missing from the menu bar"

    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()

    output = panel.locator(".jp-OutputArea-output").filter(has=page.locator(".widget-slider"))
    output.wait_for(timeout=CELLS_SECONDS * 1000)
    table = output.locator("table.course-inspector")
    image = output.locator(".widget-image")
    box = output.locator(".widget-text input")
    table.wait_for(timeout=30_000)
    assert "sample 0" in table.inner_text()
    assert box.input_value() == "0"
    before_table, before_image = table.inner_text(), image.get_attribute("src")

    handle = output.locator(".noUi-handle")
    track = output.locator(".widget-slider .noUi-target").bounding_box()
    start = handle.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(track["x"] + track["width"] * 0.4, start["y"] + start["height"] / 2, steps=8)
    page.mouse.up()

    readout = output.locator(".widget-readout")
    moved = int(readout.inner_text().strip())  # the slider's own label, set by the drag
    assert 300 <= moved <= 500, f"dragging to 40 % of the track should pick about sample 400, got {moved}"
    # The number box follows through the kernel (ipywidgets.link), then the table redraws.
    page.wait_for_function(
        "([selector, value]) => { const input = document.querySelector(selector);"
        " return input && input.value === value; }",
        arg=[".jp-OutputArea-output .widget-text input", str(moved)], timeout=20_000)
    page.wait_for_function(
        "([selector, text]) => { const t = document.querySelector(selector);"
        " return t && t.innerText.includes(text); }",
        arg=[".jp-OutputArea-output table.course-inspector", f"sample {moved}"], timeout=20_000)
    after_table = table.inner_text()
    assert after_table != before_table, "the table did not change with the sample"
    values_row = [line for line in after_table.splitlines() if line.startswith("values")]
    assert values_row and values_row[0] not in before_table
    page.wait_for_function(
        "([selector, src]) => { const img = document.querySelector(selector);"
        " return img && img.src !== src; }",
        arg=[".jp-OutputArea-output .widget-image", before_image], timeout=20_000)
    assert server.kernels(), "the notebook's kernel should be running"


def test_a_missing_chromium_fails_with_the_install_command(tmp_path):
    with pytest.raises(pytest.fail.Exception, match="apt-get install chromium.*CI installs it"):
        require_chromium(tmp_path / "chromium")


# --------------------------------------------------------------------------- the student flow

QUIZ = "07_quiz"
WRONG_ANSWERS = "AAAAABAA"  # a wrong letter for every quiz question
VERDICT = re.compile(r"✔|✘|\bcorrect|\bright\b|\bwrong\b|not quite|try again", re.IGNORECASE)


class CourseLab(JupyterLab):
    """JupyterLab started as ``python3 tasks.py lab`` starts it, on a git copy of the course."""

    def __init__(self, workdir: Path, **env: str):
        from tests.test_student_flow import course_copy, load_tasks

        self.port = find_free_port()
        self.token = secrets.token_hex(16)
        self.course = course_copy(workdir / "course")
        self.root = self.course
        self.tasks = load_tasks(self.course)
        self.log_path = workdir / "jupyterlab.log"
        self.env = {**self._environment(workdir), **env}
        self.process = None

    def command(self) -> list[str]:
        """`tasks.py lab`'s own command line, after what `tasks.py lab` does first."""
        scripts = str(Path(sys.executable).parent)
        self.env["PATH"] = scripts + os.pathsep + self.env.get("PATH", "")
        saved = os.environ.get("PATH", "")
        os.environ["PATH"] = self.env["PATH"]
        try:
            self.tasks.prepare_student_flow(Path(sys.executable))  # what `tasks.py lab` does first
        finally:
            os.environ["PATH"] = saved
        return self.tasks.lab_command(Path(sys.executable), [
            "--no-browser", f"--IdentityProvider.token={self.token}", f"--port={self.port}",
            "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0", "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"])


@pytest.fixture
def course_lab(tmp_path):
    server = CourseLab(tmp_path, COURSE_QUIZ_MODE="graded")
    try:
        server.start()
        yield server
    finally:
        server.stop()
    assert server.process.poll() is not None, "the JupyterLab server is still running"


def _wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    pytest.fail(f"timed out after {seconds} s waiting for {what}")


def _assignment_list(page):
    page.locator(".lm-MenuBar-item", has_text="Nbgrader").click()
    page.locator(".lm-Menu-itemLabel", has_text="Assignment List").click()


@pytest.mark.browser
@pytest.mark.slow
def test_a_student_fetches_answers_the_quiz_wrongly_sees_no_verdict_and_submits(course_lab, chromium_page):
    """The whole loop through the browser, then the instructor's grading; git stays clean."""
    page, course = chromium_page, course_lab.course
    try:
        _fetch_answer_submit(page, course_lab)
    finally:
        _screenshot(page, "student_flow.png")
        (ARTIFACTS / "student_flow_jupyterlab.log").write_text(course_lab.log())
    course_lab.stop()

    # the instructor: collect, grade (graded quiz mode), feedback
    from tests.course_copy import grades
    from tests.test_student_flow import git, nbgrader, run

    nbgrader(course, "generate_assignment", QUIZ, "--force")
    nbgrader(course, "collect", QUIZ)
    student = next(p.name for p in (course / "submitted").iterdir())
    scripts = Path(sys.executable).parent
    run([str(scripts / "autograder"), "grade", QUIZ, "--workers", "1"], course, COURSE_QUIZ_MODE="graded")
    scores = {cell: score for cell, score in grades(course, student, QUIZ).items() if cell.endswith("-test")}
    assert len(scores) == 8 and all(score == 0 for score, _ in scores.values()), scores
    run([str(scripts / "autograder"), "feedback", QUIZ], course)
    page_html = (course / "feedback" / student / QUIZ / f"{QUIZ}.html").read_text()
    assert page_html.count("is not the right answer") == 8 and "max(0, z)" in page_html
    assert git(course, "status", "--porcelain") == ""


def _fetch_answer_submit(page, server: CourseLab) -> None:
    course = server.course
    page.goto(f"{server.url}/lab/tree/workspace?token={server.token}")
    page.locator(".lm-MenuBar-item", has_text="Nbgrader").wait_for(timeout=90_000)
    _assignment_list(page)
    released = page.locator("#released_assignments_list .list_item", has_text=QUIZ)
    released.wait_for(timeout=60_000)
    assert page.get_by_text("Error fetching courses").count() == 0
    released.get_by_role("button", name="Fetch").click()
    mine = course / "workspace" / QUIZ / f"{QUIZ}.ipynb"
    _wait_for(mine.exists, 60, "the fetched notebook in workspace/")

    page.goto(f"{server.url}/lab/tree/workspace/{QUIZ}/{QUIZ}.ipynb?token={server.token}")
    panel = page.locator(".jp-NotebookPanel")
    panel.wait_for(timeout=60_000)
    server.wait_for_idle_kernel(90)
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=60_000)
    import nbformat

    nb = nbformat.read(str(mine), as_version=4)
    answer_cells = [i for i, cell in enumerate(nb.cells)
                    if re.fullmatch(r"l07-q\d-answer", cell.metadata.get("nbgrader", {}).get("grade_id", ""))]
    assert len(answer_cells) == 8
    cells = panel.locator(".jp-Notebook .jp-Cell")
    for number, index in enumerate(answer_cells, 1):
        editor = cells.nth(index).locator(".cm-content")
        editor.click()
        page.keyboard.press("Control+a")
        page.keyboard.type(f'answer_q{number} = "{WRONG_ANSWERS[number - 1]}"')
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    recorded = panel.locator(".jp-OutputArea-output", has_text="answer recorded")
    _wait_for(lambda: recorded.count() == 8, CELLS_SECONDS, "eight 'answer recorded' lines")
    outputs = panel.locator(".jp-OutputArea-output").all_inner_texts()
    shown = "\n".join(outputs)
    assert not VERDICT.search(shown), shown  # no verdict before grading
    page.keyboard.press("Control+s")
    _wait_for(lambda: mine.read_text().count("answer recorded") == 8, 30, "the saved notebook")
    saved = nbformat.read(str(mine), as_version=4)  # every cell's output, also those scrolled away
    texts = [output.get("text", "") + str(output.get("data", {})) + output.get("evalue", "")
             for cell in saved.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not VERDICT.search("\n".join(texts)), texts
    assert not [cell for cell in saved.cells if cell.cell_type == "code"
                for output in cell.outputs if output.output_type == "error"]
    recorded_lines = [t for t in texts if "answer recorded" in t]
    assert len(recorded_lines) == 8 and "Question 1: answer recorded: A (It outputs values" in recorded_lines[0]

    _assignment_list(page)
    fetched = page.locator("#fetched_assignments_list .list_item", has_text=QUIZ).first
    fetched.wait_for(timeout=60_000)
    fetched.get_by_role("button", name="Submit").click()
    inbound = course / "exchange" / "keras-sequential" / "inbound"
    _wait_for(lambda: any(inbound.iterdir()), 60, "the submission in the exchange")
