"""autograder/ compares grading statuses with ``Status`` and ``CellStatus`` members, never with strings.

``Status`` and ``CellStatus`` (autograder/core/results.py) are ``StrEnum``s, so ``status == "graded"`` works today and
silently stays False after a typo or a renamed member; ``status == Status.GRADED`` fails at once.
The check: no comparison (``==``, ``!=``, ``in``, ``not in``) in autograder/ has a side named like a
status (``status``, ``r.status``, ``row["status"]``, ``row.get("status")``, ``status.value``) and a
side that is, or holds, a string literal spelling a ``Status`` or ``CellStatus`` value. Other protocols' statuses
(Jupyter's ``"ok"``, Dask's ``"finished"``) are not these and stay strings.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from autograder.core.results import CellStatus, Status

ROOT = Path(__file__).resolve().parents[2]
STATUS_VALUES = {member.value for member in Status} | {member.value for member in CellStatus}


def _named_status(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return "status" in node.id.lower()
    if isinstance(node, ast.Attribute):
        return "status" in node.attr.lower() or (node.attr == "value" and _named_status(node.value))
    if isinstance(node, ast.Subscript):
        key = node.slice
        return isinstance(key, ast.Constant) and isinstance(key.value, str) and "status" in key.value.lower()
    if isinstance(node, ast.Call):  # row.get("status")
        return (isinstance(node.func, ast.Attribute) and node.func.attr == "get" and bool(node.args)
                and isinstance(node.args[0], ast.Constant) and node.args[0].value == "status")
    return False


def _status_strings(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value in STATUS_VALUES
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_status_strings(item) for item in node.elts)
    return False


def string_comparisons(source: str) -> list[str]:
    """Each comparison in ``source`` of a status with a string literal, as ``line: code``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_named_status(side) for side in sides) and any(_status_strings(side) for side in sides):
                found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_autograder_compares_status_members_not_strings():
    found = [f"{path.relative_to(ROOT)}:{hit}" for path in sorted((ROOT / "autograder").rglob("*.py"))
             for hit in string_comparisons(path.read_text(encoding="utf-8"))]
    assert not found, "compare with Status members (Status.GRADED ...), not strings:\n" + "\n".join(found)


@pytest.mark.parametrize("code", [
    'status == "graded"',
    'r.status != "failed"',
    'status in ("crashed", "timed_out")',
    'row["status"] not in ["failed"]',
    'row.get("status") == "graded"',
    'result.status.value == "timed_out"',
    '"graded" == record.status',
    'verdict.status == "passed"',
    'cell["status"] in ("not attempted", "not_graded")',
])
def test_the_check_sees_a_string_comparison(code):
    assert string_comparisons(code)


@pytest.mark.parametrize("code", [
    "status == Status.GRADED",
    "r.status in (Status.CRASHED, Status.TIMED_OUT)",
    'reply["status"] == "ok"',        # Jupyter's protocol
    'future.status == "finished"',    # Dask's
    'name == "graded"',               # not a status
])
def test_the_check_lets_members_and_other_statuses_pass(code):
    assert not string_comparisons(code)
