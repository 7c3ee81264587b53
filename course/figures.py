"""Figures a check makes by calling a student's plotting function: read, never shown."""
from __future__ import annotations

import contextlib
import sys
from typing import Iterator


@contextlib.contextmanager
def closing_new_figures() -> Iterator[None]:
    """Close the pyplot figures opened inside the block (the notebook's own stay open), so the
    next cell does not show the check's figures. Imports no pyplot where none is loaded."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    open_before = set(pyplot.get_fignums()) if pyplot is not None else set()
    try:
        yield
    finally:
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            for number in set(pyplot.get_fignums()) - open_before:
                pyplot.close(number)
