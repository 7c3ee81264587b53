"""mypy, as configured in pyproject.toml ([tool.mypy]), finds no type errors in the packages it lists
(autograder.core and autograder.check so far; what they import is read for its types, not checked).

mypy comes with the ``dev`` extra; a missing mypy fails this test rather than skipping it.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_finds_no_type_errors():
    done = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0 and "No module named mypy" in done.stderr:
        raise AssertionError(f"mypy is not installed in {sys.executable}: pip install -e '.[dev]' (or pip install mypy)")
    assert done.returncode == 0, f"mypy found problems:\n{done.stdout}{done.stderr}"
