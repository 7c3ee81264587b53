"""Where a student's error happened: the line and the whole statement they wrote, what the
line's names held, and whether Keras's, NumPy's or Python's own code raised it.

Read from the traceback in the kernel. An error the grader rebuilds from a kernel's report
carries the same facts as attributes (``course_line``, ``course_statement``, ``course_values``,
``course_library``), so a message reads alike in the kernel and in the trusted checks.
"""
from __future__ import annotations

import ast
import sysconfig
import traceback
from pathlib import Path
from typing import Any


def failing_line(error: BaseException) -> str:
    """The line of code that raised ``error`` (the deepest frame's), as the student wrote it; "" if
    unknown. An error rebuilt by the grader from a kernel's report carries it as ``course_line``."""
    line = getattr(error, "course_line", None)
    if isinstance(line, str):
        return line
    frames = traceback.extract_tb(error.__traceback__) if error.__traceback__ else []
    for frame in reversed(frames):  # the deepest line the student wrote, not Keras's or NumPy's
        if not library_file(frame.filename):
            return (frame.line or "").strip()
    return ""


def failing_statement(error: BaseException) -> str:
    """The whole statement around the failing line (a comprehension or a call written over several
    lines), as the student wrote it, found by ``executing``; the failing line alone when the cell
    cannot be read. A rebuilt error carries it as ``course_statement``."""
    known = getattr(error, "course_statement", None)
    if isinstance(known, str):
        return known
    frame = _student_frame(error)
    if frame is None:
        return ""
    try:
        node = frame.executing
        statements = sorted(node.statements, key=lambda statement: statement.lineno)
        text = node.source.text
    except Exception:  # noqa: BLE001 - a cell executing cannot read (IPython magics): the line alone
        statements, text = [], ""
    if statements:
        return ast.get_source_segment(text, statements[-1]) or failing_line(error)
    return failing_line(error)


def _student_frame(error: BaseException):
    """The deepest frame of ``error`` in code the student wrote, as ``stack_data`` reads it; None if
    every frame is a library's."""
    import stack_data

    found = None
    traceback_entry = error.__traceback__
    while traceback_entry is not None:
        if not library_file(traceback_entry.tb_frame.f_code.co_filename):
            found = traceback_entry
        traceback_entry = traceback_entry.tb_next
    return stack_data.FrameInfo(found) if found is not None else None


def calls_with_one_argument(statement: str, function: str) -> bool:
    """Whether ``statement`` calls ``function`` with a single positional argument (read with ast)."""
    try:
        tree = ast.parse(statement)
    except SyntaxError:
        return False
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == function
               and len(node.args) == 1 and not node.keywords for node in ast.walk(tree))


def line_values(error: BaseException) -> dict[str, str]:
    """What the names in the failing statement held when it failed, for the ones a message can show
    short (a range, a number, an array's shape): {"epochs": "range(2, 6)"}. Read by ``stack_data``
    (names only, never the words inside a string). A rebuilt error carries them as ``course_values``."""
    known = getattr(error, "course_values", None)
    if isinstance(known, dict):
        return {str(k): str(v) for k, v in known.items()}
    frame = _student_frame(error)
    if frame is None:
        return {}
    found: dict[str, str] = {}
    try:
        variables = frame.variables_in_executing_piece
    except Exception:  # noqa: BLE001 - a cell stack_data cannot read: nothing to quote
        return {}
    for variable in variables:
        shown = _short(variable.value) if variable.name.isidentifier() else None
        if shown and len(found) < 4:
            found[variable.name] = shown
    return found


def _short(value: Any) -> str | None:
    """``value`` in a few characters when it is a kind worth showing; else None."""
    if isinstance(value, range) or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return repr(value)
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and all(isinstance(n, int) for n in shape):
        return f"an array of shape {shape}"
    return None


def raised_in_library(error: BaseException) -> bool:
    """Whether ``error`` was raised inside Keras, NumPy or Python's own code rather than on a line
    the student wrote (a rebuilt error carries the answer as ``course_library``)."""
    known = getattr(error, "course_library", None)
    if isinstance(known, bool):
        return known
    frames = traceback.extract_tb(error.__traceback__) if error.__traceback__ else []
    return bool(frames) and library_file(frames[-1].filename)


#: Where library code lives: a frame from here is never the student's line.
LIBRARY_DIRS = tuple({str(Path(path)) for key in ("stdlib", "platstdlib", "purelib", "platlib")
                      if (path := sysconfig.get_paths().get(key))} | {str(Path(__file__).parent)})


def library_file(filename: str) -> bool:
    """Whether code in ``filename`` is a library's (Keras, NumPy, Python, this course), not the student's."""
    return (filename.startswith(LIBRARY_DIRS) or "site-packages" in filename
            or "dist-packages" in filename or filename.startswith("<frozen"))
