"""A throwaway copy of the course directory, and nbgrader run inside it."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "source").iterdir() if p.is_dir())


#: The instructor's course folders a copy of the course holds: the lessons, and the quiz's
#: answer key (instructor material, outside every package: course/answer_key.py).
COURSE_FOLDERS = ("source", "release", "answer_keys")


def copy_course(destination: Path) -> Path:
    """nbgrader_config.py, source/, release/ and answer_keys/ copied to ``destination`` (no gradebook)."""
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", destination)
    for folder in COURSE_FOLDERS:
        shutil.copytree(ROOT / folder, destination / folder)
    return destination


def register(course: Path, *assignments: str) -> None:
    """`nbgrader generate_assignment` in the copy: records each assignment in its gradebook."""
    for assignment in assignments or ASSIGNMENTS:
        result = nbgrader(course, "generate_assignment", assignment, "--force")
        if result.returncode != 0:
            raise RuntimeError(result.stdout + result.stderr)


def nbgrader(course: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run a stock nbgrader command in ``course``; return the finished process."""
    scripts = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=scripts + os.pathsep + os.environ.get("PATH", ""))
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=timeout)


def submit(course: Path, student: str, assignment: str, notebook: nbformat.NotebookNode) -> None:
    """Place ``notebook`` as ``student``'s submission of ``assignment``."""
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(folder / f"{assignment}.ipynb"))


def notebook_of(folder: str, assignment: str) -> nbformat.NotebookNode:
    return nbformat.read(str(ROOT / folder / assignment / f"{assignment}.ipynb"), as_version=4)


def partial_dense_layers() -> nbformat.NotebookNode:
    """Lesson 3 with exercise 1 right, exercise 2 wrong (64 units) and exercise 3 blank."""
    notebook = notebook_of("source", "03_dense_layers")
    release = notebook_of("release", "03_dense_layers")
    for index, cell in enumerate(notebook.cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id == "l03-q2-answer":
            cell.source = cell.source.replace("Dense(32", "Dense(64")
        if grade_id == "l03-q3-answer":
            cell.source = release.cells[index].source
    return notebook


def grades(course: Path, student: str, assignment: str) -> dict[str, tuple[float, float]]:
    """{grade_id: (score, max_score)} for one submission, from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission_notebook(assignment, assignment, student)
        return {grade.name: (grade.score, grade.max_score) for grade in submission.grades}


def graded_cell_outputs(course: Path, student: str, assignment: str) -> dict[str, list]:
    """{grade_id: outputs} of the autograded notebook's graded cells."""
    path = course / "autograded" / student / assignment / f"{assignment}.ipynb"
    notebook = nbformat.read(str(path), as_version=4)
    return {cell.metadata["nbgrader"]["grade_id"]: cell.get("outputs", [])
            for cell in notebook.cells
            if cell.metadata.get("nbgrader", {}).get("grade")}
