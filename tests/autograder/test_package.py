"""The package's public names load lazily: `autograder --help` and `import autograder` import no nbgrader."""
from __future__ import annotations

from tests.autograder.fresh_interpreter import heavy_modules_loaded_by


def test_importing_the_package_and_the_cli_imports_no_nbgrader():
    assert heavy_modules_loaded_by("import autograder, autograder.cli\n"
                                   "from autograder import Course, Status, grade") == []
    assert heavy_modules_loaded_by("import autograder.apps") == []
    assert heavy_modules_loaded_by("import nbformat") == ["nbformat"]  # the probe sees an import


def test_public_names():
    import autograder
    from autograder.grading import grade
    from autograder.results import Summary

    assert autograder.grade is grade and autograder.Summary is Summary
    assert set(autograder.__all__) >= {"Course", "CourseError", "Summary", "grade"}
