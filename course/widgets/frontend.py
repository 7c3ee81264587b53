"""Is someone looking? Live widgets in JupyterLab, quiet static output when not.

The course's widgets never block and never wait for a browser, so they are safe
anywhere. What changes when nobody is looking is how much work they do:

* **live** - a Jupyter kernel with a front end (JupyterLab, Notebook, VS Code):
  widgets update as you interact, training curves redraw after every epoch.
* **headless** - nbgrader executing the notebook (it sets ``NBGRADER_EXECUTION``),
  a plain Python script or terminal IPython (no kernel, so nothing can show a
  widget): no per-epoch redraws, only the final figure and table are shown.

A kernel cannot tell whether the client that started it draws widgets (nbclient
does not), so ``COURSE_WIDGETS=static`` forces headless and
``COURSE_WIDGETS=live`` forces live, e.g. for ``jupyter nbconvert --execute``.
Live mode under nbclient is still safe: updates are messages nobody reads.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

#: Set by nbgrader while it executes a notebook (validate, autograde).
NBGRADER_VARIABLE = "NBGRADER_EXECUTION"
#: ``static`` (or ``headless``/``off``) forces headless mode, ``live`` forces live mode.
MODE_VARIABLE = "COURSE_WIDGETS"


def is_headless() -> bool:
    """True when no front end will draw widgets (see the module docstring)."""
    forced = os.environ.get(MODE_VARIABLE, "").strip().lower()
    if forced in ("static", "headless", "off"):
        return True
    if forced == "live":
        return False
    if NBGRADER_VARIABLE in os.environ:
        return True
    return not _inside_kernel()


def resolve_live(live: bool | None) -> bool:
    """A widget's ``live`` argument: ``None`` means "decide with :func:`is_headless`"."""
    return (not is_headless()) if live is None else bool(live)


def _inside_kernel() -> bool:
    """True in a Jupyter kernel (an IPython shell with a ``kernel``), False otherwise."""
    if "IPython" not in sys.modules:
        return False
    shell = sys.modules["IPython"].get_ipython()
    return getattr(shell, "kernel", None) is not None


def show(bundle: Mapping[str, Any]) -> None:
    """Display a ready-made MIME bundle (e.g. ``text/html`` + ``text/plain``).

    In a notebook the richest type is shown; in a script the ``text/plain``
    part is printed to stdout, never stderr.
    """
    if _inside_kernel():
        from IPython.display import display

        display(dict(bundle), raw=True)
    else:
        print(bundle.get("text/plain", ""))


def show_widget(widget: Any, *, static: Mapping[str, str] | None = None, display_id: str | None = None,
                update: bool = False) -> None:
    """Display a widget in a kernel; outside one there is nothing to draw it, so do nothing.

    ``static`` adds MIME types beside the live view (``text/html``, ``text/plain``): what a
    viewer that cannot run widgets shows instead (nbconvert, nbgrader's feedback, GitHub).
    ``display_id`` names the output; ``update`` replaces what that output shows.
    """
    if not _inside_kernel():
        return
    from IPython.display import display, update_display

    bundle = {**widget._repr_mimebundle_(), **(static or {})}
    if update and display_id:
        update_display(bundle, raw=True, display_id=display_id)
    elif display_id:
        display(bundle, raw=True, display_id=display_id)
    else:
        display(bundle, raw=True)
