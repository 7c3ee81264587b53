"""Dependencies point one way: the student-side `course` package never imports `autograder`."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_course_never_imports_autograder():
    offenders = {str(path.relative_to(ROOT)): name for path in (ROOT / "course").rglob("*.py")
                 for name in imported_modules(path) if name.split(".")[0] == "autograder"}
    assert not offenders, offenders
