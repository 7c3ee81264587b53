#!/usr/bin/env python3
"""One entry point for people and CI; needs nothing but Python 3.11, 3.12 or 3.13.

    python3 tasks.py lab    # first time: create .venv and install; then open JupyterLab
                            # (its local nbgrader exchange and workspace/ set up first)
    python3 tasks.py test   # first time: create .venv and install; then run every test
    python3 tasks.py hub    # a class: JupyterHub with accounts, nbgrader's exchange, formgrader

``python3 tasks.py exchange`` only sets up the exchange and ``workspace/`` (students fetch
lessons into ``workspace/``; both folders are git-ignored).
``python3 tasks.py feedback-report`` regenerates tests/mutation/results/: how each lesson's visible
tests answer generated mistakes (mutants of the reference answers) and correct variants.
Extra arguments go to JupyterLab or pytest, e.g. ``python3 tasks.py test -k data``.
The environment is re-installed only when ``pyproject.toml`` changes.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("COURSE_VENV", ROOT / ".venv"))
STAMP = VENV / ".install-stamp"


#: The Pythons the course installs on, oldest and newest: pyproject.toml's requires-python
#: (nbgrader 0.9.6 and Keras need 3.11; TensorFlow has wheels up to 3.13). A test keeps them equal.
SUPPORTED_PYTHONS = ((3, 11), (3, 13))


def python_problem(version: tuple = tuple(sys.version_info[:3])) -> str | None:
    """Why this Python cannot install the course, in one sentence (None when it can)."""
    (low_major, low_minor), (high_major, high_minor) = SUPPORTED_PYTHONS
    if (low_major, low_minor) <= tuple(version[:2]) <= (high_major, high_minor):
        return None
    shown = ".".join(str(part) for part in version)
    return (f"This is Python {shown}; the course installs on Python {low_major}.{low_minor} to "
            f"{high_major}.{high_minor} (nbgrader and Keras need {low_major}.{low_minor} or newer, "
            f"TensorFlow has no wheels after {high_major}.{high_minor}). Run tasks.py with one of "
            f"those, e.g. `python3.{low_minor} tasks.py lab`.")


def venv_python() -> Path:
    """The virtual environment's interpreter on Windows, macOS and Linux."""
    scripts = "Scripts" if os.name == "nt" else "bin"
    return VENV / scripts / ("python.exe" if os.name == "nt" else "python")


def install_fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_environment() -> Path:
    """Create ``.venv`` and install the course (with test tools) unless already current."""
    problem = python_problem()
    if problem:
        sys.exit(problem)
    python = venv_python()
    if not python.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == install_fingerprint():
        return python
    print("Installing the course and its dependencies (first run only; a few minutes) ...", flush=True)
    run([python, "-m", "pip", "install", "--upgrade", "pip"])
    run([python, "-m", "pip", "install", "-e", f"{ROOT}[dev]"])
    STAMP.write_text(install_fingerprint())
    return python


def run(command: list, **kwargs) -> None:
    result = subprocess.run([str(part) for part in command], cwd=ROOT, **kwargs)
    if result.returncode != 0:
        sys.exit(f"Command failed with exit code {result.returncode}: {' '.join(map(str, command))}")


def use_environment(python: Path) -> None:
    """Put the environment's scripts first on PATH (nbgrader runs `alembic` by name)."""
    os.environ["PATH"] = str(python.parent) + os.pathsep + os.environ.get("PATH", "")
    os.environ["VIRTUAL_ENV"] = str(VENV)


#: Where students' copies live (git-ignored): fetched assignments and their feedback.
WORKSPACE = ROOT / "workspace"
#: nbgrader's exchange on this machine (git-ignored): released assignments, submissions, feedback.
EXCHANGE = ROOT / "exchange"
WORKSPACE_CONFIG = '''"""Written by `python3 tasks.py lab`: nbgrader run here (the Assignment List,
`nbgrader fetch_assignment`, `submit`, `fetch_feedback`) uses the course's settings."""
import os

load_subconfig(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,  # noqa: F821
                            "nbgrader_config.py"))
'''


def course_id() -> str:
    """The course id set in ``nbgrader_config.py``."""
    import re

    found = re.search(r"course_id\s*=\s*[\"']([^\"']+)", (ROOT / "nbgrader_config.py").read_text())
    return found.group(1) if found else "course"


def stale_releases() -> list[str]:
    """Assignments in ``release/`` that the exchange lacks or holds in an older version
    (a notebook's ``language_info``, which :func:`stamp_language_info` adds, does not count)."""
    outbound = EXCHANGE / course_id() / "outbound"
    stale = []
    for folder in sorted(p for p in (ROOT / "release").iterdir() if p.is_dir()):
        files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
        if not all(same_release(path, outbound / folder.name / path.name) for path in files):
            stale.append(folder.name)
    return stale


def same_release(ours: Path, released: Path) -> bool:
    """``released`` is ``ours`` as the exchange holds it (notebooks: but for ``language_info``)."""
    import filecmp
    import json

    if not released.is_file():
        return False
    if ours.suffix != ".ipynb":
        return filecmp.cmp(ours, released, shallow=False)

    def content(path: Path) -> dict:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        notebook.get("metadata", {}).pop("language_info", None)
        return notebook

    try:
        return content(ours) == content(released)
    except ValueError:
        return False


#: What the environment's kernel tells JupyterLab about its language when it connects.
LANGUAGE_INFO = ("import json; from ipykernel.ipkernel import IPythonKernel; "
                 "print(json.dumps(IPythonKernel.language_info))")


def stamp_language_info(python: Path, outbound: Path) -> None:
    """Released notebooks carry the environment's kernel ``language_info``: JupyterLab writes it
    into a notebook when its kernel connects, which would otherwise mark every lesson modified
    about a second after it opens (and ask about unsaved changes on closing)."""
    import json

    done = subprocess.run([str(python), "-c", LANGUAGE_INFO], capture_output=True, text=True)
    if done.returncode != 0:
        return  # no ipykernel: nothing connects, nothing to match
    info = json.loads(done.stdout)
    for path in outbound.glob("*/*.ipynb"):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        if notebook.get("metadata", {}).get("language_info") != info:
            notebook.setdefault("metadata", {})["language_info"] = info
            path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def prepare_student_flow(python: Path) -> None:
    """The local exchange and the workspace; every new or changed ``release/`` assignment released.

    Re-releasing replaces only the exchange's copy: a student's fetched copy in ``workspace/``
    is never touched, and nbgrader refuses to fetch over an existing folder.
    """
    WORKSPACE.mkdir(exist_ok=True)
    config = WORKSPACE / "nbgrader_config.py"
    if not config.exists() or config.read_text() != WORKSPACE_CONFIG:
        config.write_text(WORKSPACE_CONFIG)
    for assignment in stale_releases():
        run([python, "-m", "nbgrader", "release_assignment", assignment, "--force", "--log-level=WARN"])
    stamp_language_info(python, EXCHANGE / course_id() / "outbound")


def exchange(args: list[str]) -> int:
    """Only set up the local exchange and the workspace (what ``lab`` does before it opens).

    Run from an environment that has nbgrader (e.g. conda's), it uses that one; else ``.venv``.
    """
    import importlib.util

    if importlib.util.find_spec("nbgrader") is not None:
        python = Path(sys.executable)
    else:
        python = ensure_environment()
        use_environment(python)
    prepare_student_flow(python)
    return 0


def lab(args: list[str]) -> int:
    """Open JupyterLab on the course at ``workspace/``: Assignment List, Validate, Formgrader on."""
    python = ensure_environment()
    use_environment(python)
    prepare_student_flow(python)
    return subprocess.call(lab_command(python, args), cwd=ROOT)


#: What JupyterLab's file browser leaves out: jupyter_server's own defaults, and the
#: ``nbgrader_config.py`` files (``workspace/``'s is for nbgrader, not for students to open;
#: instructors edit the course's in their editor). nbgrader still reads them.
HIDDEN_IN_LAB = ["__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~", "nbgrader_config.py"]


def lab_command(python: Path, args: list[str]) -> list[str]:
    """The JupyterLab command ``lab`` runs (served from the course folder, opened at ``workspace/``)."""
    command = [str(python), "-m", "jupyterlab", f"--ServerApp.root_dir={ROOT}",
               "--LabApp.default_url=/lab/tree/workspace",
               f"--ContentsManager.hide_globs={HIDDEN_IN_LAB!r}", *args]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI often run as root
    return command


def test(args: list[str]) -> int:
    """Run the whole test suite; 'no tests collected' (pytest exit 5) counts as failure.
    Arguments go to pytest (``-n 2 --dist loadgroup``: two workers, tests/conftest.py's groups)."""
    python = ensure_environment()
    use_environment(python)
    code = subprocess.call([str(python), "-m", "pytest", *args], cwd=ROOT)
    if code == 5:
        print("pytest collected no tests: treating that as a failure.", file=sys.stderr)
        return 1
    return code


def hub(args: list[str]) -> int:
    """Serve the course to a class from a real JupyterHub on this machine (see hub/serve.py).

    As root: Linux accounts ``instructor`` and ``student1..N``, nbgrader's shared exchange, the
    formgrader service; as a normal user: a one-account demo (no isolation between accounts).
    ``python3 tasks.py hub --help`` lists the options.
    """
    if python_problem():
        sys.exit(python_problem())
    sys.path.insert(0, str(ROOT / "hub"))
    import serve

    def dev_environment() -> Path:
        python = ensure_environment()
        use_environment(python)
        return python

    return serve.main(args, ensure_dev_environment=dev_environment, run=run)


def feedback_report(args: list[str]) -> int:
    """Regenerate tests/mutation/results/: each lesson's visible tests run on generated mistakes
    (mutants of the reference answers) and on correct variants (``--lesson NAME`` for one lesson)."""
    python = ensure_environment()
    use_environment(python)
    return subprocess.call([str(python), "-m", "tests.mutation.report", *args], cwd=ROOT)


def setup(args: list[str]) -> int:
    """Only create or update ``.venv``."""
    ensure_environment()
    return 0


COMMANDS = {"lab": lab, "test": test, "setup": setup, "exchange": exchange, "hub": hub,
            "feedback-report": feedback_report}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        print(f"Commands: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
