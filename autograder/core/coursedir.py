"""The nbgrader course directory, as nbgrader itself sees it.

:class:`Course` loads ``nbgrader_config.py`` the way ``nbgrader`` commands do
(user-level Jupyter config, then the course directory's), and answers the
questions every other module asks: where are the source, submitted, autograded
and feedback folders, which notebooks make up an assignment, which students
submitted it, and is the gradebook ready to grade it.
"""
from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Iterator

from traitlets.config import Config


def ensure_scripts_on_path() -> None:
    """nbgrader runs the ``alembic`` script when it creates a gradebook: make this
    interpreter's scripts folder findable even when the virtualenv is not activated."""
    scripts = os.path.dirname(sys.executable)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if scripts not in parts:
        os.environ["PATH"] = os.pathsep.join([scripts, *[p for p in parts if p]])


class CourseError(Exception):
    """A problem with the course or the command line, explained for the instructor."""


@contextlib.contextmanager
def working_directory(path: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def load_config(root: Path) -> Config:
    """The config ``nbgrader`` would use when run from ``root``."""
    from nbgrader.apps.baseapp import NbGrader

    if not (root / "nbgrader_config.py").exists():
        raise CourseError(f"{root} is not an nbgrader course directory (no nbgrader_config.py there).")
    with working_directory(root):
        app = NbGrader()
        app.log.disabled = True
        app.load_config_file()
        config = Config(app.config)
    config.CourseDirectory.setdefault("root", str(root))
    # autograder never uses nbgrader's exchange, and grading needs no login: with a hub's
    # JupyterHubAuthPlugin, NbGraderAPI would demand the hub's JUPYTERHUB_USER and API token,
    # so grading over SSH (which stock `nbgrader autograde` allows) would fail.
    config.Authenticator.plugin_class = "nbgrader.auth.base.NoAuthPlugin"
    return config


def find_course_root(start: Path | None = None) -> Path:
    """The nearest folder, from ``start`` upwards, that holds ``nbgrader_config.py``."""
    here = (start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        if (folder / "nbgrader_config.py").exists():
            return folder
    raise CourseError(f"No nbgrader_config.py in {here} or above: pass --course PATH to the course directory.")


class Course:
    """One nbgrader course directory and its gradebook."""

    def __init__(self, root: Path | str | None = None):
        ensure_scripts_on_path()
        self.root = find_course_root() if root is None else Path(root).resolve()
        self.config = load_config(self.root)
        from nbgrader.coursedir import CourseDirectory

        with working_directory(self.root):
            self.coursedir = CourseDirectory(config=self.config)
        self.root = Path(self.coursedir.root).resolve()

    # -- folders ---------------------------------------------------------------
    def folder(self, kind: str) -> Path:
        """``source``, ``release``, ``submitted``, ``autograded`` or ``feedback``."""
        return self.root / getattr(self.coursedir, f"{kind}_directory")

    @property
    def state_dir(self) -> Path:
        """Where autograder keeps its run logs (``.autograder/`` in the course)."""
        path = self.root / ".autograder"
        path.mkdir(exist_ok=True)
        return path

    @property
    def db_url(self) -> str:
        return self.coursedir.db_url

    @property
    def course_id(self) -> str:
        return self.coursedir.course_id

    def gradebook(self):
        from nbgrader.api import Gradebook

        return Gradebook(self.db_url, self.course_id)

    # -- assignments -----------------------------------------------------------
    def assignments(self) -> list[str]:
        """Assignments with a source folder, in order."""
        source = self.folder("source")
        return sorted(p.name for p in source.iterdir() if p.is_dir()) if source.exists() else []

    def source_notebooks(self, assignment: str) -> list[Path]:
        folder = self.folder("source") / assignment
        if not folder.is_dir():
            known = ", ".join(self.assignments()) or "none"
            raise CourseError(f"Unknown assignment {assignment!r}: no folder {folder} (assignments: {known}).")
        return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))

    def submitted_students(self, assignment: str) -> list[str]:
        root = self.folder("submitted")
        if not root.exists():
            return []
        return sorted(p.name for p in root.iterdir()
                      if (p / assignment).is_dir() and not p.name.startswith("."))

    def ensure_gradebook(self, assignment: str) -> None:
        """Make sure the gradebook knows ``assignment``'s notebooks and graded cells.

        ``nbgrader generate_assignment`` records them; if it has not been run on
        this gradebook yet, the same is done here, writing the student version to
        ``.autograder/release`` so the course's ``release/`` is left untouched.
        """
        names = {p.stem for p in self.source_notebooks(assignment)}  # raises for an unknown assignment
        from nbgrader.api import MissingEntry

        with self.gradebook() as gb:
            try:
                known = {nb.name for nb in gb.find_assignment(assignment).notebooks}
            except MissingEntry:
                known = set()
        if names <= known:
            return
        from nbgrader.apps import NbGraderAPI

        config = Config(self.config)
        config.CourseDirectory.release_directory = ".autograder/release"
        with working_directory(self.root):
            api = NbGraderAPI(config=config)
            result = api.generate_assignment(assignment, force=True)
        if not result.get("success"):
            raise CourseError(f"Could not record {assignment} in the gradebook:\n{result.get('error') or result.get('log')}")
