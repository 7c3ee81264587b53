"""Shared pytest fixtures: repository paths, free ports, quiet TensorFlow."""
from __future__ import annotations

import atexit
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

import pytest

# Tests that run TensorFlow in this process share 2 cores with other workers.
os.environ.setdefault("COURSE_TF_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

ROOT = Path(__file__).resolve().parents[1]

# Jupyter's data folder (nbgrader's submission cache, kernels' connection files, JupyterLab's
# workspaces) is a private one for the tests: a learner who runs them and then opens the lab
# must not find the tests' submissions listed as their own in the Assignment List.
if "JUPYTER_DATA_DIR" not in os.environ:
    _data = tempfile.mkdtemp(prefix="course-tests-jupyter-data-")
    os.environ["JUPYTER_DATA_DIR"] = _data
    atexit.register(shutil.rmtree, _data, ignore_errors=True)

# nbgrader runs the `alembic` script by name: the environment's scripts come first.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root, which is also the nbgrader course directory."""
    return ROOT


def find_free_port() -> int:
    """A TCP port on localhost that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def free_port() -> int:
    return find_free_port()


#: With two pytest-xdist workers (an option: ``tasks.py test -n 2 --dist loadgroup``; the plain run
#: is sequential, as timing-sensitive comparisons with stock nbgrader failed under that load), the
#: test files that never grade as root in the sandbox run beside the rest. Tests that do (and the
#: adversarial ones, which check that no sandboxed process, mount or temporary folder is left) stay
#: in one group, one at a time.
SIDE_GROUP = ("hub/", "course/", "mutation/test_mutation.py", "test_browser_student.py", "test_lab_command.py",
              "test_mistakes.py", "test_calibration.py", "test_training_checks.py", "test_widgets.py",
              "test_quiet.py", "test_runtime.py", "test_packaging.py", "test_types.py", "test_student_text.py",
              "test_lesson_text.py", "test_no_solutions_in_course.py", "test_lint.py", "test_data.py",
              "test_notebooks.py")  # stock nbgrader only: its kernels are not sandboxed


def pytest_collection_modifyitems(config, items):
    """Put every test in the xdist group of its file: ``side`` or ``main`` (see SIDE_GROUP)."""
    tests = ROOT / "tests"
    for item in items:
        where = Path(str(item.fspath)).resolve().relative_to(tests).as_posix()
        group = "side" if where.startswith(SIDE_GROUP) else "main"
        item.add_marker(pytest.mark.xdist_group(group))
