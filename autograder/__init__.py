"""Instructor tooling over nbgrader: grade a whole class fast, export, give feedback, report.

nbgrader stays the grading engine: every grade is written by nbgrader's own
autograde pipeline into the course's gradebook, so the formgrader and
``nbgrader export`` show the same numbers. ``autograder`` adds what nbgrader
lacks: importing a folder or zip of submissions with a per-file report, parallel
grading on warm kernels, crash- and hang-proof runs that resume after an
interruption, per-question exports, feedback that hides hidden tests, a class
report, and a self-check command for learners.

Python API::

    from autograder import Course, grade
    course = Course("path/to/course")
    summary = grade(course, ["01_input_data"], workers=2)

The subpackages follow the flow of a run, top to bottom: :mod:`autograder.cli`
(the command), :mod:`autograder.grading` (the flow in one function),
:mod:`autograder.executors` (where it runs: ``local`` or ``dask``),
:mod:`autograder.execute` (grading one notebook), :mod:`autograder.check` (the
trusted checks), :mod:`autograder.isolate` (sandbox, zygote, kernels),
:mod:`autograder.outputs` (exports, feedback, report), :mod:`autograder.plan`
(what to grade and why), :mod:`autograder.record` (run log, gradebook batches) and
:mod:`autograder.core` (results, options, the course directory).
:mod:`autograder.coursework` holds the tools specific to this course.
"""
import importlib
from typing import Any

#: Public names, imported on first use (so ``autograder --help`` imports no nbgrader).
_LAZY = {"Course": "autograder.core.coursedir", "CourseError": "autograder.core.coursedir",
         "Summary": "autograder.core.results", "Result": "autograder.core.results", "Status": "autograder.core.results",
         "grade": "autograder.grading"}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'autograder' has no attribute {name!r}")
