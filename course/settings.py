"""The course's settings, read from its ``nbgrader_config.py`` as a student's kernel finds it.

The course library runs in the student's kernel, not inside nbgrader, so it looks for the
course's config itself: from the working folder upward (a lesson's folder, a workspace
copy or nbgrader's autograded/ folder lies inside the course folder), then in Jupyter's
config folders (``~/.jupyter``, ``/etc/jupyter`` ...: a class server's system-wide config,
or the one ``autograder grade`` writes into a sandboxed kernel's home with just the settings
named by ``c.Autograder.notebook_config``), then the copy that ships with the course.

Read here: ``CourseQuiz.mode`` (:mod:`course.quiz`), ``CourseQuiz.key_file`` (:mod:`course.answer_key`:
the quiz's key, instructor material, lives beside the course's config) and ``Execute.timeout``,
nbgrader's per-cell time limit (:mod:`course.errors`, to say that a cell was stopped by it).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

CONFIG_FILE = "nbgrader_config.py"


def course_config(start: Path | None = None) -> Path | None:
    """The nbgrader_config.py of the course around ``start`` (default: the working folder)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder / CONFIG_FILE
    # Then where nbgrader itself looks (~/.jupyter, /etc/jupyter ...): a class server's
    # system-wide config, or the one a grader gives a sandboxed kernel's home.
    from jupyter_core.paths import jupyter_config_path

    for folder in map(Path, jupyter_config_path()):
        if (folder / CONFIG_FILE).is_file():
            return folder / CONFIG_FILE
    packaged = Path(__file__).resolve().parents[1] / CONFIG_FILE
    return packaged if packaged.is_file() else None


def setting(name: str, start: Path | None = None, default: Any = None) -> Any:
    """The value of ``c.<name>`` (``"Section.key"``, e.g. ``"Execute.timeout"``) in the course's
    config (:func:`course_config`), or ``default`` when it is not set there. A config that cannot
    be read also gives ``default``: a student's notebook never fails over it."""
    section, _, key = name.partition(".")
    try:
        path = course_config(start)
        if path is None or not key:
            return default
        from traitlets.config.loader import PyFileConfigLoader

        config = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
        if section in config and key in config[section]:
            return config[section][key]
    except Exception:  # noqa: BLE001 - an unreadable config means the default, never a crash
        pass
    return default
