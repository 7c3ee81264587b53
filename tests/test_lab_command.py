"""The README's open command serves JupyterLab on the course with nbgrader enabled."""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "course-test-token"


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def wait_for_server(url: str, process: subprocess.Popen, seconds: float = 120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"JupyterLab exited early with code {process.returncode}")
        try:
            return get_json(url)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise AssertionError(f"JupyterLab did not answer {url} within {seconds} s")


@pytest.fixture
def lab_server(free_port, tmp_path):
    """`python3 tasks.py lab` on a free localhost port; stopped after the test."""
    command = [sys.executable, str(ROOT / "tasks.py"), "lab", "--no-browser",
               f"--port={free_port}", "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
               f"--IdentityProvider.token={TOKEN}"]
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    log = open(tmp_path / "lab.log", "wb")
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
                               start_new_session=True)
    try:
        url = f"http://127.0.0.1:{free_port}"
        wait_for_server(f"{url}/api/status?token={TOKEN}", process)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


@pytest.mark.slow
def test_open_command_lists_the_release_notebooks(lab_server):
    listing = get_json(f"{lab_server}/api/contents/release?token={TOKEN}")
    served = sorted(item["name"] for item in listing["content"] if item["type"] == "directory")
    expected = sorted(p.name for p in (ROOT / "release").iterdir() if p.is_dir())
    assert served == expected and len(expected) == 7
    first = get_json(f"{lab_server}/api/contents/release/{expected[0]}?token={TOKEN}")
    assert any(item["name"].endswith(".ipynb") for item in first["content"])


@pytest.mark.slow
def test_open_command_enables_the_nbgrader_extension(lab_server):
    extensions = get_json(f"{lab_server}/lab/api/extensions?token={TOKEN}")
    names = [extension["name"] for extension in extensions]
    assert "jupyter-nbgrader" in names, names  # nbgrader's JupyterLab extension
    assert "jupyter-widgets-jupyterlab-manager" in names, names  # renders ipywidgets
    formgrader = urllib.request.urlopen(f"{lab_server}/formgrader?token={TOKEN}", timeout=10)
    assert formgrader.status == 200


@pytest.mark.slow
def test_open_command_serves_the_assignment_list_from_a_local_exchange(lab_server):
    """The Assignment List's requests: its course and the released lessons, no exchange error."""
    courses = get_json(f"{lab_server}/courses?token={TOKEN}")
    assert courses == {"success": True, "value": ["keras-sequential"]}, courses
    listing = get_json(f"{lab_server}/assignments?course_id=keras-sequential&token={TOKEN}")
    assert listing["success"], listing
    released = sorted(item["assignment_id"] for item in listing["value"] if item["status"] == "released")
    fetched = sorted(item["assignment_id"] for item in listing["value"] if item["status"] == "fetched")
    expected = sorted(p.name for p in (ROOT / "release").iterdir() if p.is_dir())
    assert sorted(set(released + fetched)) == expected, listing
    # the exchange and the students' workspace are inside the course folder, and git-ignored
    assert (ROOT / "exchange" / "keras-sequential" / "outbound").is_dir()
    assert (ROOT / "workspace" / "nbgrader_config.py").is_file()
    ignored = subprocess.run(["git", "check-ignore", "exchange", "workspace"], cwd=ROOT,
                             capture_output=True, text=True)
    assert ignored.stdout.split() == ["exchange", "workspace"]
