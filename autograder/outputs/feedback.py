"""HTML feedback per student, with nbgrader's ``generate_feedback``, minus the hidden tests' code.

Stock feedback shows the autograded notebook as it ran, so a test cell with
``### BEGIN HIDDEN TESTS`` shows the hidden code twice: in the cell's source and
in the failing traceback (IPython prints the lines around the failing assert).
:class:`HideHiddenTests` is added to nbgrader's feedback pipeline: in every cell
that had a hidden-test region it removes that region from the source (nbgrader's
own ``ClearHiddenTests`` logic) and reduces each error to its message, e.g.
``AssertionError: the hidden layer should have 8 units``, so the student learns
what is wrong without seeing the test.
"""
from __future__ import annotations

from typing import Any, Iterator

from nbformat import NotebookNode
from nbgrader.preprocessors import ClearHiddenTests

from autograder.core.coursedir import Course, working_directory

NOTE = "(the code of this cell's hidden tests is not shown)"


class HideHiddenTests(ClearHiddenTests):
    """Remove hidden test code from sources and tracebacks; keep the error message."""

    def preprocess_cell(self, cell: NotebookNode, resources: Any, cell_index: int):
        if cell.cell_type != "code" or self.begin_test_delimeter not in cell.source:
            return cell, resources
        self._remove_hidden_test_region(cell)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                message = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".rstrip(": ")
                output["traceback"] = [f"\x1b[0;31m{message}\x1b[0m", NOTE]
        return cell, resources


def feedback_config(course: Course):
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades
    from traitlets.config import Config

    config = Config(course.config)
    configured = config.GenerateFeedback.get("preprocessors")
    pipeline = list(configured) if isinstance(configured, (list, tuple)) else [GetGrades, CSSHTMLHeaderPreprocessor]
    # GetGrades reads grade cells by id, so hide the tests after it has run.
    config.GenerateFeedback.preprocessors = [p for p in pipeline if p is not HideHiddenTests] + [HideHiddenTests]
    return config


def generate_feedback(course: Course, assignment: str,
                      students: list[str] | None = None) -> Iterator[tuple[str, bool, str]]:
    """Write ``feedback/<student>/<assignment>/<notebook>.html``; yield (student, ok, path or error)."""
    from nbgrader.apps import NbGraderAPI

    autograded = course.folder("autograded")
    targets = students or sorted(p.name for p in autograded.iterdir()
                                 if (p / assignment).is_dir()) if autograded.exists() else []
    with working_directory(course.root):
        api = NbGraderAPI(config=feedback_config(course))
        for student in targets:
            if not (autograded / student / assignment).is_dir():
                yield student, False, "not autograded yet: run `autograder grade` first"
                continue
            result = api.generate_feedback(assignment, student, force=True)
            folder = course.folder("feedback") / student / assignment
            if result.get("success"):
                yield student, True, str(folder)
            else:
                lines = [l for l in (result.get("log") or result.get("error") or "").splitlines() if "ERROR" in l]
                yield student, False, (lines[0] if lines else "nbgrader generate_feedback failed")
