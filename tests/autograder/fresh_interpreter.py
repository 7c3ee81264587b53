"""What a piece of code imports, measured in a fresh interpreter (the test process has them all)."""
from __future__ import annotations

import subprocess
import sys

#: Libraries that make a command slow to start; `autograder --help` and `import autograder` load none.
HEAVY = ("nbgrader", "nbformat", "tensorflow", "distributed")


def heavy_modules_loaded_by(code: str) -> list[str]:
    """Run ``code`` in a new Python process; return which of :data:`HEAVY` it left imported."""
    probe = f"{code}\nimport sys\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return eval(out.stdout.strip().splitlines()[-1], {})  # a list of names, printed by the probe
