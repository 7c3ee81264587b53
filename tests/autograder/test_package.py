"""The package's public names load lazily: `autograder --help` and `import autograder` import no nbgrader."""
from __future__ import annotations

from tests.autograder.fresh_interpreter import heavy_modules_loaded_by


def test_importing_the_package_and_the_cli_imports_no_nbgrader():
    assert heavy_modules_loaded_by("import autograder, autograder.cli.main\n"
                                   "from autograder import Course, Status, grade") == []
    assert heavy_modules_loaded_by("import autograder.cli.apps") == []
    assert heavy_modules_loaded_by("import nbformat") == ["nbformat"]  # the probe sees an import


def test_public_names():
    import autograder
    from autograder.core.results import Summary
    from autograder.grading import grade

    assert autograder.grade is grade and autograder.Summary is Summary
    assert set(autograder.__all__) >= {"Course", "CourseError", "Summary", "grade"}


#: The flat module paths the previous release's README documented, and where their code lives now.
MOVED = {"autograder.submissions": ("autograder.plan.intake", "import_submissions"),
         "autograder.exports": ("autograder.outputs.exports", "export"),
         "autograder.feedback": ("autograder.outputs.feedback", "generate_feedback"),
         "autograder.report": ("autograder.outputs.report", "write_report"),
         "autograder.selfcheck": ("autograder.outputs.selfcheck", "self_check"),
         "autograder.results": ("autograder.core.results", "Result"),
         "autograder.options": ("autograder.core.options", "Autograder")}


def test_documented_old_paths_still_import_the_moved_code():
    import importlib

    for old, (new, name) in MOVED.items():
        alias = importlib.import_module(old)
        assert getattr(alias, name) is getattr(importlib.import_module(new), name), old
        assert f"Moved to {new}" in alias.__doc__, old


def test_grade_on_dask_moved_to_grading_and_the_old_path_still_works():
    from autograder.executors import dask
    from autograder.grading import grade_on_dask

    assert dask.grade_on_dask is grade_on_dask
    assert "grade_on_dask" not in vars(dask)  # an alias only: the function lives in grading
