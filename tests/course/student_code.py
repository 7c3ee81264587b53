"""Run a few lines as a student's cell would, for tests that read the error they raise."""
from __future__ import annotations

import linecache


def raised_by(code: str, namespace: dict) -> BaseException:
    """The error ``code`` raises, run from a file so that its traceback has the line's text."""
    filename = f"<course-test-{abs(hash(code))}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    try:
        exec(compile(code, filename, "exec"), namespace)  # noqa: S102 - a student's line, as a kernel runs it
    except Exception as error:  # noqa: BLE001
        return error
    raise AssertionError(f"{code!r} raised nothing")
