"""Where a student's error happened: the line and the whole statement they wrote, what the
line's names held, and whether Keras's, NumPy's or Python's own code raised it.

Read from the traceback in the kernel. An error the grader rebuilds from a kernel's report
carries the same facts as attributes (``course_line``, ``course_statement``, ``course_values``,
``course_library``), so a message reads alike in the kernel and in the trusted checks.
"""
from __future__ import annotations

import ast
import linecache
import re
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
    lines), as the student wrote it; the failing line alone when the cell cannot be read. A rebuilt
    error carries it as ``course_statement``."""
    known = getattr(error, "course_statement", None)
    if isinstance(known, str):
        return known
    frames = traceback.extract_tb(error.__traceback__) if error.__traceback__ else []
    frame = next((f for f in reversed(frames) if not library_file(f.filename)), None)
    if frame is None:
        return ""
    source = "".join(linecache.getlines(frame.filename))
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):  # e.g. a cell with IPython magics
        return (frame.line or "").strip()
    around = [node for node in ast.walk(tree) if isinstance(node, ast.stmt)
              and node.lineno <= (frame.lineno or 0) <= (node.end_lineno or node.lineno)
              and not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.For, ast.While, ast.If, ast.With, ast.Try))]
    if not around:
        return (frame.line or "").strip()
    innermost = max(around, key=lambda node: node.lineno)
    return ast.get_source_segment(source, innermost) or (frame.line or "").strip()


def calls_with_one_argument(statement: str, function: str) -> bool:
    """Whether ``statement`` calls ``function`` with a single positional argument (read with ast)."""
    try:
        tree = ast.parse(statement)
    except SyntaxError:
        return False
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == function
               and len(node.args) == 1 and not node.keywords for node in ast.walk(tree))


def line_values(error: BaseException) -> dict[str, str]:
    """What the names on the failing line held when it failed, for the ones a message can show
    short (a range, a number, an array's shape): {"epochs": "range(2, 6)"}. A rebuilt error carries
    them as ``course_values``."""
    known = getattr(error, "course_values", None)
    if isinstance(known, dict):
        return {str(k): str(v) for k, v in known.items()}
    frame = None
    for candidate, _ in traceback.walk_tb(error.__traceback__):
        if not library_file(candidate.f_code.co_filename):
            frame = candidate
    if frame is None:
        return {}
    line = failing_line(error)
    found: dict[str, str] = {}
    code = re.sub(r"(['\"]).*?\1", "''", line)  # names, not the words inside strings: values["loss"]
    for name in dict.fromkeys(re.findall(r"(?<![\w.])([A-Za-z_]\w*)\b(?!\s*\()", code)):
        if name in frame.f_locals:
            shown = _short(frame.f_locals[name])
        elif name in frame.f_globals:
            shown = _short(frame.f_globals[name])
        else:
            continue
        if shown:
            found[name] = shown
        if len(found) == 4:
            break
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
