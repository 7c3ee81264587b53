"""The package's public names load lazily: `autograder --help` and `import autograder` import no nbgrader."""
from __future__ import annotations

import subprocess
import sys


def test_importing_the_package_and_the_cli_imports_no_nbgrader():
    code = ("import sys, autograder, autograder.cli\n"
            "from autograder import Course, Status, grade\n"
            "print(sorted(m for m in ('nbgrader', 'nbformat', 'tensorflow', 'distributed') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_public_names():
    import autograder
    from autograder.grading import grade
    from autograder.results import Summary

    assert autograder.grade is grade and autograder.Summary is Summary
    assert set(autograder.__all__) >= {"Course", "CourseError", "Summary", "grade"}
