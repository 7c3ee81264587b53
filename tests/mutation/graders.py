"""Correct variants graded the way a class's submissions are: by stock ``nbgrader autograde`` and by
``autograder grade``, each in a course copy of its own.

A lesson's variants go into a few submissions: submission *k* holds the *k*-th variant of every
answer cell that has one (the reference answer elsewhere), so every variant is graded once, in a
whole notebook, with the cells before it written another way too.
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from tests.course_copy import copy_course, grades, nbgrader, notebook_of, register, submit
from tests.mutation.runner import answer_cells
from tests.mutation.variants import variants


@dataclass
class Graded:
    """One variant submission under one grader: the variants it holds and the cells below full marks."""

    student: str
    grader: str
    written_as: list[str]
    lost: dict[str, tuple[float, float]]


def variant_submissions(lesson: str) -> list[tuple[str, nbformat.NotebookNode, list[str]]]:
    """(student, notebook, "grade_id: what differs" for each variant in it), one per variant index."""
    reference = notebook_of("source", lesson)
    per_cell = {cell.grade_id: (cell.index, variants(cell.grade_id, cell.source)) for cell in answer_cells(reference)}
    count = max((len(found) for _, found in per_cell.values()), default=0)
    submissions = []
    for k in range(count):
        notebook = nbformat.from_dict(reference)
        labels = []
        for grade_id, (index, found) in per_cell.items():
            if k < len(found):
                label, source = found[k]
                notebook.cells[index].source = source
                labels.append(f"{grade_id}: {label}")
        submissions.append((f"variant-{k + 1}", notebook, labels))
    return submissions


def _autograder(course: Path, *args: str) -> subprocess.CompletedProcess:
    scripts = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.run([str(scripts / "autograder"), "grade", *args, "--workers", "1", "--no-progress"],
                          cwd=course, env=env, capture_output=True, text=True, timeout=1800)


def grade_variants(lesson: str, workdir: Path) -> list[Graded]:
    """Every variant submission of ``lesson`` graded by stock nbgrader and by autograder, side by
    side (threads: each waits on its own subprocess, in a course copy of its own)."""
    from concurrent.futures import ThreadPoolExecutor

    submissions = variant_submissions(lesson)
    if not submissions:
        return []
    with ThreadPoolExecutor(max_workers=len(GRADERS)) as pool:
        graded = pool.map(lambda grader: _grade(grader, lesson, submissions, workdir), GRADERS)
        return [result for results in graded for result in results]


#: The two graders a class's submissions may meet.
GRADERS = ("stock nbgrader", "autograder")


def _grade(grader: str, lesson: str, submissions: list, workdir: Path) -> list[Graded]:
    course = copy_course(workdir / grader.replace(" ", "-"))
    register(course, lesson)
    for student, notebook, _ in submissions:
        submit(course, student, lesson, notebook)
    run = (nbgrader(course, "autograde", lesson, "--create", "--force") if grader == "stock nbgrader"
           else _autograder(course, lesson))
    if run.returncode != 0:
        raise RuntimeError(f"{grader} failed on {lesson}:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    results = []
    for student, _, labels in submissions:
        scores = grades(course, student, lesson)
        if not scores:
            raise RuntimeError(f"{grader} recorded no grades for {student} in {lesson}")
        lost = {cell: score for cell, score in scores.items() if score[0] != score[1]}
        results.append(Graded(student, grader, labels, lost))
    return results
