"""The lessons through real nbgrader: full marks for the reference, zero for blank
release notebooks, exact partial credit, release/ regenerated from source/, validate."""
from __future__ import annotations

import json
import runpy
from pathlib import Path

import nbformat
import pytest
from traitlets.config import Config

from tests.course_copy import (
    ASSIGNMENTS,
    ROOT,
    copy_course,
    graded_cell_outputs,
    grades,
    nbgrader,
    notebook_of,
    partial_dense_layers,
    register,
    submit,
)

REFERENCE_RUNS = ["reference-1", "reference-2", "reference-3"]
#: The lessons in two halves of about equal grading time, graded side by side on this machine's
#: two cores (each half in a course copy of its own: one SQLite gradebook has one writer).
HALVES = (["05_training", "01_input_data", "02_normalization"],
          ["03_dense_layers", "04_output_layer", "06_prediction_trace", "07_quiz"])

pytestmark = pytest.mark.slow


def test_nbgrader_config_lists_every_assignment_and_the_course():
    config = Config()
    namespace = runpy.run_path(str(ROOT / "nbgrader_config.py"), init_globals={"get_config": lambda: config})
    assert namespace["ASSIGNMENTS"] == ASSIGNMENTS
    assert len(ASSIGNMENTS) == 7
    assert config.CourseDirectory.course_id == "keras-sequential"
    assert config.Execute.timeout >= 60  # training cells need more than nbgrader's 30 s default


def side_by_side(work, halves) -> list:
    """``work(half)`` for each half at once (threads: each waits on its own subprocesses)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(halves)) as pool:
        return list(pool.map(work, halves))


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory) -> dict:
    """{assignment: the course copy where the reference notebooks (3 times) and the blank
    release notebook of that assignment were submitted and autograded by stock `nbgrader autograde`}."""
    assert sorted(sum(HALVES, [])) == sorted(ASSIGNMENTS)

    def grade_half(half: list[str]) -> Path:
        course = copy_course(tmp_path_factory.mktemp("course"))
        register(course, *half)
        for assignment in half:
            for student in REFERENCE_RUNS:
                submit(course, student, assignment, notebook_of("source", assignment))
            submit(course, "blank", assignment, notebook_of("release", assignment))
            result = nbgrader(course, "autograde", assignment, "--create", "--force")
            assert result.returncode == 0, result.stdout + result.stderr
        return course

    courses = side_by_side(grade_half, HALVES)
    return {assignment: course for half, course in zip(HALVES, courses) for assignment in half}


def stderr_texts(outputs) -> list[str]:
    return [o.get("text", "") for o in outputs
            if o.get("output_type") == "stream" and o.get("name") == "stderr"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_scores_full_marks_three_runs_in_a_row(graded_course, assignment):
    course = graded_course[assignment]
    for student in REFERENCE_RUNS:
        scores = grades(course, student, assignment)
        assert scores, "no graded cells recorded"
        lost = {cell: score for cell, score in scores.items() if score[0] != score[1]}
        assert not lost, f"{student}: cells below full marks: {lost}"
        outputs = graded_cell_outputs(course, student, assignment)
        noisy = {cell: stderr_texts(out) for cell, out in outputs.items() if stderr_texts(out)}
        assert not noisy, f"{student}: graded cells wrote to stderr: {noisy}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_blank_release_scores_zero_and_says_not_attempted(graded_course, assignment):
    course = graded_course[assignment]
    scores = grades(course, "blank", assignment)
    assert scores and all(score == 0 for score, _ in scores.values()), scores
    outputs = graded_cell_outputs(course, "blank", assignment)
    for cell, cell_outputs in outputs.items():
        errors = [o for o in cell_outputs if o.get("output_type") == "error"]
        assert errors, f"{cell}: a failing test must show an error"
        text = "\n".join(errors[0].get("traceback", []))
        assert "not attempted yet" in text, f"{cell}: {text[:300]}"
        assert "Traceback" not in text and "File \"" not in text, f"{cell} shows a traceback"
    # The notebook ran to the end: the last cell was executed.
    path = course / "autograded" / "blank" / assignment / f"{assignment}.ipynb"
    notebook = nbformat.read(str(path), as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code_cells[-1].get("execution_count") is not None


def test_partial_submission_gets_exactly_the_expected_score(tmp_path):
    course = copy_course(tmp_path / "course")
    register(course, "03_dense_layers")
    submit(course, "partial", "03_dense_layers", partial_dense_layers())
    result = nbgrader(course, "autograde", "03_dense_layers", "--create")
    assert result.returncode == 0, result.stderr
    scores = grades(course, "partial", "03_dense_layers")
    assert scores == {"l03-q1-test": (1.0, 1.0), "l03-q2-test": (0.0, 1.0), "l03-q3-test": (0.0, 1.0)}
    outputs = graded_cell_outputs(course, "partial", "03_dense_layers")
    message = "\n".join(outputs["l03-q2-test"][-1]["traceback"])
    assert "has 64 units; stage 4 (Dense layer 2) expects 32" in message


def comparable(notebook_path) -> dict:
    notebook = json.loads(notebook_path.read_text())
    return {"cells": [(c["cell_type"], c["source"], c["metadata"]) for c in notebook["cells"]],
            "metadata": notebook["metadata"]}


def test_release_is_exactly_what_generate_assignment_makes(tmp_path):
    course = copy_course(tmp_path / "course")
    for assignment in ASSIGNMENTS:
        result = nbgrader(course, "generate_assignment", assignment, "--force")
        assert result.returncode == 0, result.stdout + result.stderr
        generated = course / "release" / assignment / f"{assignment}.ipynb"
        committed = ROOT / "release" / assignment / f"{assignment}.ipynb"
        assert comparable(generated) == comparable(committed), (
            f"release/{assignment} is stale: run `nbgrader generate_assignment {assignment} --force`")


def test_validate_passes_on_source_and_fails_on_release(tmp_path):
    course = copy_course(tmp_path / "course")
    sources = [str(course / "source" / a / f"{a}.ipynb") for a in ASSIGNMENTS]
    releases = [str(course / "release" / a / f"{a}.ipynb") for a in ASSIGNMENTS]
    def validate(paths: list[str]):
        return nbgrader(course, "validate", *paths)

    passed = side_by_side(validate, [sources[0::2], sources[1::2]])
    assert all(run.returncode == 0 for run in passed)
    said = "".join(run.stdout for run in passed)
    assert said.count("Success! Your notebook passes all the tests.") == len(sources), said
    failed = "".join(run.stdout for run in side_by_side(validate, [releases[0::2], releases[1::2]]))
    # nbgrader validate exits 0 even when tests fail: judge by what it prints.
    assert "Success!" not in failed
    assert failed.count("VALIDATION FAILED") == len(releases), failed[-2000:]


@pytest.mark.parametrize("folder", ["source", "release"])
def test_notebooks_are_stored_with_outputs_cleared(folder):
    for assignment in ASSIGNMENTS:
        notebook = notebook_of(folder, assignment)
        dirty = [index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
                 and (cell.get("outputs") or cell.get("execution_count") is not None)]
        assert not dirty, f"{folder}/{assignment}: cells {dirty} keep outputs"
