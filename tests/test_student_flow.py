"""Students work on copies; the course stays clean; the instructor's loop works on one machine.

On a copy of the course in a temporary git repository: ``tasks.py``'s student set-up (what
``python3 tasks.py lab`` does before it opens) creates the local exchange and the workspace
and releases ``release/`` with ``nbgrader release_assignment``; then, with the real nbgrader
commands, a student fetches, answers, re-fetches (refused: the work stays), receives a course
update (``git pull``-like change of ``release/``: re-released, the fetched copy untouched),
submits; the instructor collects, grades with ``autograder grade``, writes feedback with
``autograder feedback`` and releases it; the student fetches the feedback and can open it.
``git status`` of the course is clean at every step.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.course_copy import COURSE_FOLDERS, ROOT, grades

ASSIGNMENT = "07_quiz"
WRONG = "AAAAABAA"


def course_copy(destination: Path) -> Path:
    """The course's tracked files that the student flow uses, as a fresh git repository."""
    destination.mkdir(parents=True)
    for name in ("nbgrader_config.py", "tasks.py", "pyproject.toml", ".gitignore"):
        shutil.copy(ROOT / name, destination / name)
    for folder in COURSE_FOLDERS:
        shutil.copytree(ROOT / folder, destination / folder,
                        ignore=shutil.ignore_patterns(".*", "__pycache__"))
    git(destination, "init", "-q")
    git(destination, "add", "-A")
    git(destination, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "course")
    return destination


def git(course: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=course, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def load_tasks(course: Path):
    """The copy's tasks.py as a module (its ROOT is the copy); it never installs anything here."""
    spec = importlib.util.spec_from_file_location(f"tasks_{course.name}", course / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def environment() -> dict:
    scripts = str(Path(sys.executable).parent)
    return dict(os.environ, PATH=scripts + os.pathsep + os.environ.get("PATH", ""))


def run(command: list[str], cwd: Path, **env: str) -> str:
    done = subprocess.run(command, cwd=cwd, env={**environment(), **env}, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def nbgrader(cwd: Path, *args: str) -> str:
    return run([sys.executable, "-m", "nbgrader", *args], cwd)


def prepare(course: Path, monkeypatch) -> None:
    tasks = load_tasks(course)
    monkeypatch.setenv("PATH", environment()["PATH"])
    tasks.prepare_student_flow(Path(sys.executable))


def answer(notebook: Path, letters: str) -> None:
    nb = nbformat.read(str(notebook), as_version=4)
    for cell in nb.cells:
        found = re.fullmatch(r"l07-q(\d)-answer", cell.metadata.get("nbgrader", {}).get("grade_id", ""))
        if found:
            cell.source = f'answer_q{found.group(1)} = "{letters[int(found.group(1)) - 1]}"'
    nbformat.write(nb, str(notebook))


def test_ignored_exports_and_student_folders():
    ignored = (ROOT / ".gitignore").read_text().split()
    for pattern in ("exchange/", "workspace/", "submitted/", "autograded/", "feedback/", "exports/",
                    "reports/", "*.csv", "gradebook.db", ".quiz_answers.json"):
        assert pattern in ignored, pattern
    done = subprocess.run(["git", "check-ignore", "grades.csv", "exports/x_grades.csv", "workspace/07_quiz/07_quiz.ipynb",
                           "release/07_quiz/.quiz_answers.json"], cwd=ROOT, capture_output=True, text=True)
    assert len(done.stdout.split()) == 4, done.stdout


@pytest.mark.slow
def test_release_fetch_submit_collect_grade_feedback_on_one_machine(tmp_path, monkeypatch):
    course = course_copy(tmp_path / "course")
    prepare(course, monkeypatch)
    outbound = course / "exchange" / "keras-sequential" / "outbound"
    assert sorted(p.name for p in outbound.iterdir()) == sorted(p.name for p in (course / "release").iterdir())
    assert git(course, "status", "--porcelain") == ""

    # the student: the Assignment List's list and fetch are nbgrader's list and fetch_assignment
    workspace = course / "workspace"
    assert "keras-sequential 07_quiz" in nbgrader(workspace, "list")
    nbgrader(workspace, "fetch_assignment", ASSIGNMENT)
    mine = workspace / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    answer(mine, WRONG)
    work = mine.read_bytes()
    refetch = subprocess.run([sys.executable, "-m", "nbgrader", "fetch_assignment", ASSIGNMENT], cwd=workspace,
                             env=environment(), capture_output=True, text=True, timeout=300)
    assert refetch.returncode != 0 and "already have a copy" in refetch.stdout + refetch.stderr
    assert mine.read_bytes() == work

    # a course update arrives (what `git pull` does to release/): re-released, the student's copy untouched
    authored = course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    update = nbformat.read(str(authored), as_version=4)
    update.cells[0].source += "\n\n(Updated.)"
    nbformat.write(update, str(authored))
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    git(course, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-am", "update")
    prepare(course, monkeypatch)
    assert "(Updated.)" in (outbound / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    assert mine.read_bytes() == work
    assert git(course, "status", "--porcelain") == ""

    nbgrader(workspace, "submit", ASSIGNMENT)

    # the instructor: gradebook entry, collect, grade, feedback, release feedback
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    assert git(course, "status", "--porcelain") == "", "generate_assignment must reproduce release/"
    nbgrader(course, "collect", ASSIGNMENT)
    student = next(p.name for p in (course / "submitted").iterdir())
    scripts = Path(sys.executable).parent
    run([str(scripts / "autograder"), "grade", ASSIGNMENT, "--workers", "1"], course, COURSE_QUIZ_MODE="graded")
    scores = grades(course, student, ASSIGNMENT)
    tests = {cell: score for cell, score in scores.items() if cell.endswith("-test")}
    assert len(tests) == 8 and all(score == 0 for score, _ in tests.values()), tests
    run([str(scripts / "autograder"), "feedback", ASSIGNMENT], course)
    nbgrader(course, "release_feedback", ASSIGNMENT)

    # the student opens the feedback in their workspace
    nbgrader(workspace, "fetch_feedback", ASSIGNMENT)
    pages = list((workspace / ASSIGNMENT / "feedback").rglob(f"{ASSIGNMENT}.html"))
    assert len(pages) == 1
    page = pages[0].read_text()
    assert page.count("is not the right answer") == 8 and "max(0, z)" in page

    # nothing the student or the instructor did shows in git
    assert git(course, "status", "--porcelain") == ""
    for name in ("exchange", "workspace", "submitted", "autograded", "feedback", "gradebook.db"):
        assert (course / name).exists(), name


def test_the_workspace_uses_the_course_settings(tmp_path, monkeypatch):
    """nbgrader and the quiz, run in workspace/NN_name/, read the course's nbgrader_config.py."""
    from traitlets.config.loader import PyFileConfigLoader

    from course import quiz

    course = tmp_path / "course"
    (course / "workspace" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    tasks = load_tasks(ROOT)
    (course / "workspace" / "nbgrader_config.py").write_text(tasks.WORKSPACE_CONFIG)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course / "workspace")).load_config()
    assert config.Exchange.root == str(course / "exchange")
    assert config.Exchange.assignment_dir == str(course / "workspace")
    monkeypatch.delenv(quiz.MODE_VARIABLE, raising=False)
    text = (course / "nbgrader_config.py").read_text().replace('c.CourseQuiz.mode = "self-study"',
                                                                'c.CourseQuiz.mode = "graded"')
    (course / "nbgrader_config.py").write_text(text)
    assert quiz.mode(course / "workspace" / ASSIGNMENT) == quiz.GRADED


@pytest.mark.slow
def test_released_lessons_carry_the_kernels_language_info_and_are_not_released_again(tmp_path, monkeypatch):
    """JupyterLab writes the kernel's language_info into a notebook when its kernel connects: the
    exchange's copies carry it already (so an opened lesson is not 'modified'), and that stamp
    does not make the next `tasks.py lab` release every lesson again."""
    import json

    from ipykernel.ipkernel import IPythonKernel

    course = course_copy(tmp_path / "course")
    prepare(course, monkeypatch)
    tasks = load_tasks(course)
    outbound = course / "exchange" / "keras-sequential" / "outbound"
    released = sorted(outbound.glob("*/*.ipynb"))
    assert len(released) == 7
    for path in released:
        assert json.loads(path.read_text())["metadata"]["language_info"] == IPythonKernel.language_info, path
    assert tasks.stale_releases() == []
    first = outbound / "01_input_data" / "01_input_data.ipynb"
    notebook = json.loads(first.read_text())
    notebook["cells"][0]["source"] = "changed"
    first.write_text(json.dumps(notebook))
    assert tasks.stale_releases() == ["01_input_data"]  # a real difference still counts


def test_the_tests_keep_their_submissions_out_of_the_learners_jupyter_folders():
    """nbgrader caches every submission under Jupyter's data folder, which the Assignment List
    reads: the suite's submissions must land in a private one, never in the learner's."""
    from jupyter_core.paths import jupyter_data_dir
    from nbgrader.exchange.default.exchange import Exchange

    learners = Path.home() / ".local" / "share" / "jupyter"
    private = Path(jupyter_data_dir()).resolve()
    assert learners.resolve() not in (private, *private.parents), private
    cache = Path(Exchange().cache).resolve()
    assert private in cache.parents, cache
