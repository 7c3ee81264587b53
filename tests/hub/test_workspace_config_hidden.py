"""``tasks.py lab``: students do not see ``workspace/nbgrader_config.py``; nbgrader still reads it.

The file makes ``nbgrader fetch_assignment`` in ``workspace/`` use the course's settings, so it
has to stay there; JupyterLab's file browser leaves it out (``ContentsManager.hide_globs``).
Starts the lab command's real JupyterLab on a git copy of the course.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import find_free_port
from tests.test_student_flow import course_copy, load_tasks


def _get(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_the_file_browser_hides_the_workspace_config_that_nbgrader_still_reads(tmp_path):
    course = course_copy(tmp_path / "course")
    tasks = load_tasks(course)
    python = Path(sys.executable)
    tasks.prepare_student_flow(python)
    assert (course / "workspace" / "nbgrader_config.py").is_file()
    (course / "workspace" / "notes.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, '
                                                      '"nbformat_minor": 5}')
    port, token = find_free_port(), secrets.token_hex(8)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    command = tasks.lab_command(python, ["--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
                                         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"])
    with open(tmp_path / "lab.log", "wb") as log:
        process = subprocess.Popen(command, cwd=course, stdout=log, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)
    try:
        listing = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and listing is None:
            assert process.poll() is None, (tmp_path / "lab.log").read_text()[-3000:]
            try:
                listing = _get(f"http://127.0.0.1:{port}/api/contents/workspace?token={token}")
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        assert listing is not None, "JupyterLab did not answer"
        names = {item["name"] for item in listing["content"]}
        assert "notes.ipynb" in names, names  # the student's own files are listed
        assert "nbgrader_config.py" not in names, names
        # ... while nbgrader, run in workspace/, still takes the course's settings from it
        courses = _get(f"http://127.0.0.1:{port}/courses?token={token}")
        assert courses["value"] == ["keras-sequential"], courses
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    listed = subprocess.run([str(python.parent / "nbgrader"), "list"], cwd=course / "workspace",
                            capture_output=True, text=True, timeout=120)
    assert "keras-sequential 01_input_data" in listed.stdout + listed.stderr, listed.stdout + listed.stderr
