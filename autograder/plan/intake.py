"""Bring a class's submissions into the course: a folder, a zip, or nbgrader's own layout.

``autograder import ASSIGNMENT SOURCE`` (or ``grade --from SOURCE``) accepts:

* nbgrader's layout: ``SOURCE/<student>/<assignment>/<notebook>.ipynb``
  (e.g. a ``submitted/`` folder copied from another machine);
* a folder per student: ``SOURCE/<student>/<notebook>.ipynb``;
* a flat folder, or a zip of one (as an LMS download gives): each file is named
  by its student: ``<student>_<notebook>.ipynb`` or ``<student>-<notebook>.ipynb``,
  or ``<student>.ipynb`` when the assignment has a single notebook. With
  ``--regexp`` the names are read as nbgrader's ``ZipCollectApp`` reads them
  (``FileNameCollectorPlugin.named_regexp`` with ``student_id``, ``file_id`` and
  optional ``timestamp`` groups).

Zips are unpacked with nbgrader's ``ExtractorPlugin``. Every file that cannot be
graded is reported with its student and the reason (not a notebook, empty,
corrupt, named for no notebook of the assignment, a notebook of another
assignment) and skipped; the rest are copied to
``submitted/<student>/<assignment>/``. Only students with a gradable notebook are
added to the gradebook; rejected files are remembered per student (for exports
and the report). A file named for another assignment's notebook
(``jane_02_normalization.ipynb`` in a zip for ``01_input_data``) belongs to
``jane`` and is rejected as that assignment's notebook.

A fingerprint of each imported submission is recorded
(``.autograder/<assignment>.fingerprints.json``): grading later reports files
changed by anything but an import instead of silently grading them.

Only regular files are imported or graded. A symbolic link, a pipe or a device in
a submission would make nbgrader copy what it points to (another student's work,
the gradebook, ``source/``) into the folder the student's code runs in: such a
file is not imported, and a submission folder holding one is not graded.
"""
from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import nbformat

from autograder.core.coursedir import Course, CourseError

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+\-]*$")
IGNORED = {".DS_Store", "Thumbs.db", "__MACOSX", ".ipynb_checkpoints"}


@dataclass
class Problem:
    """A file that was not imported, and why."""

    student: str
    file: str
    reason: str


@dataclass
class ImportReport:
    """What ``import`` did, for the instructor."""

    assignment: str
    imported: list[tuple[str, str]] = field(default_factory=list)  # (student, notebook file)
    problems: list[Problem] = field(default_factory=list)
    new_students: list[str] = field(default_factory=list)

    @property
    def students(self) -> list[str]:
        return sorted({s for s, _ in self.imported})


def walk_files(folder: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The regular files under ``folder`` (links never followed), and every other entry
    (symbolic links, pipes, devices) with what it is."""
    files: list[Path] = []
    unsafe: list[tuple[Path, str]] = []
    if folder.is_symlink():
        return files, [(folder, f"a symbolic link to {os.readlink(folder)}")]
    for root, dirs, names in os.walk(folder):  # does not descend into linked folders
        for name in sorted(dirs) + sorted(names):
            path = Path(root, name)
            if path.is_symlink():
                unsafe.append((path, f"a symbolic link to {os.readlink(path)}"))
            elif name in names and path.is_file():
                files.append(path)
            elif name in names:
                unsafe.append((path, "not a regular file"))
        dirs[:] = [d for d in dirs if not Path(root, d).is_symlink()]
    return sorted(files), unsafe


def unsafe_entries(course: Course, assignment: str, student: str) -> list[str]:
    """What in ``submitted/<student>/<assignment>`` is not a regular file or folder, one line each."""
    root = course.folder("submitted")
    if (root / student).is_symlink():
        return [f"{student}/: a symbolic link to {os.readlink(root / student)}"]
    return [f"{path.relative_to(root / student)}: {what}" for path, what in walk_files(root / student / assignment)[1]]


def _graded_ids(nb: nbformat.NotebookNode) -> set[str]:
    return {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells
            if cell.metadata.get("nbgrader", {}).get("grade_id")}


def check_notebook(path: Path, expected_ids: set[str] | None = None) -> str | None:
    """Why ``path`` cannot be graded as the notebook with graded cells ``expected_ids``, or None if it can."""
    if path.suffix.lower() != ".ipynb":
        return f"not a notebook ({path.suffix or 'no extension'}): submit the .ipynb file"
    try:
        size = path.stat().st_size
    except OSError as exc:
        return f"cannot be read: {exc}"
    if size == 0:
        return "empty file (0 bytes): the notebook was not saved before submitting"
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # noqa: BLE001
        text = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        return f"corrupt notebook, not valid JSON/nbformat: {text}"
    try:
        nbformat.validate(nb)
    except Exception as exc:  # noqa: BLE001
        return f"corrupt notebook, invalid structure: {str(exc).strip().splitlines()[0][:160]}"
    if expected_ids and not (expected_ids & _graded_ids(nb)):
        return "none of its graded cells belong to this notebook: is it another assignment's notebook?"
    return None


def _unwrap(folder: Path, assignment: str) -> Path:
    """Skip folders that only hold one folder (``class.zip`` -> ``class/submitted/...``),
    but not a student's folder in nbgrader's layout (``<student>/<assignment>/``)."""
    while True:
        entries = [p for p in folder.iterdir() if p.name not in IGNORED and not p.name.startswith(".")]
        if (len(entries) == 1 and entries[0].is_dir() and entries[0].name != assignment
                and not (entries[0] / assignment).is_dir()):
            folder = entries[0]
        else:
            return folder


class Importer:
    """Reads one source (folder or zip) for one assignment into ``submitted/``."""

    def __init__(self, course: Course, assignment: str, regexp: str | None = None):
        self.course = course
        self.assignment = assignment
        self.regexp = regexp
        self.sources = {p.stem: p for p in course.source_notebooks(assignment)}
        if not self.sources:
            raise CourseError(f"Assignment {assignment!r} has no notebooks in source/{assignment}.")
        self.assignments = course.assignments()
        self.other_notebooks: dict[str, str] = {}  # notebook name -> its (other) assignment
        for other in self.assignments:
            if other != assignment:
                for path in course.source_notebooks(other):
                    self.other_notebooks.setdefault(path.stem, other)
        self.expected_ids: dict[str, set[str]] = {}  # graded cell ids per notebook
        for name, path in self.sources.items():
            try:
                self.expected_ids[name] = _graded_ids(nbformat.read(str(path), as_version=4))
            except Exception:  # noqa: BLE001
                pass

    # -- naming ---------------------------------------------------------------
    def names_from_filename(self, path: Path) -> tuple[str | None, str | None, str | None, str | None]:
        """(student, notebook, timestamp, problem) for a flat file's name."""
        if self.regexp:
            from nbgrader.plugins import FileNameCollectorPlugin

            plugin = FileNameCollectorPlugin(named_regexp=self.regexp, valid_ext=[path.suffix or ".none"])
            found = plugin.collect(str(path))
            if not found or not found.get("student_id"):
                return None, None, None, f"name does not match --regexp {self.regexp!r}"
            notebook = Path(found.get("file_id") or "").stem
            if notebook not in self.sources and len(self.sources) == 1:
                notebook = next(iter(self.sources))
            return found["student_id"], notebook, found.get("timestamp"), None
        stem = path.stem
        for name in sorted(self.sources, key=len, reverse=True):
            for sep in ("_", "-", "."):
                if stem.endswith(sep + name) and len(stem) > len(name) + 1:
                    return stem[: -len(name) - 1], name, None, None
        if stem in self.sources:
            return None, None, None, (f"named like the assignment notebook, without the student: "
                                      f"name it <student>_{stem}{path.suffix}")
        for name in sorted(self.other_notebooks, key=len, reverse=True):
            for sep in ("_", "-", "."):
                if stem.endswith(sep + name) and len(stem) > len(name) + 1:
                    return (stem[: -len(name) - 1], None, None,
                            f"a notebook of assignment {self.other_notebooks[name]!r}, not {self.assignment!r}")
            if stem == name:
                return None, None, None, f"a notebook of assignment {self.other_notebooks[name]!r}, without the student"
        if len(self.sources) == 1:
            return stem, next(iter(self.sources)), None, None
        wanted = ", ".join(f"<student>_{n}.ipynb" for n in self.sources)
        return stem, None, None, f"cannot tell which notebook this is: name it one of {wanted}"

    # -- scanning -------------------------------------------------------------
    def scan(self, folder: Path) -> list[tuple[Path, str | None, str | None, str | None, str | None]]:
        """(file, student, notebook, timestamp, problem) for every file under ``folder``."""
        entries = []
        found, unsafe = walk_files(folder)
        for path, what in unsafe:
            entries.append((path, None, None, None, f"{what}, not a file: not imported"))
        files = [p for p in found
                 if not any(part in IGNORED or part.startswith(".") for part in p.relative_to(folder).parts)]
        for path in files:
            parts = path.relative_to(folder).parts
            timestamp = None
            if len(parts) >= 3 and parts[-2] == self.assignment:  # .../<student>/<assignment>/<file>
                student, name = parts[-3], path.stem
                if path.name == "timestamp.txt":
                    continue
                ts = path.parent / "timestamp.txt"
                timestamp = ts.read_text().strip() if ts in found else None
                problem = None if name in self.sources else self._unknown(path.name)
            elif len(parts) >= 3 and parts[-2] in self.assignments:
                entries.append((path, parts[-3], None, None,
                                f"belongs to assignment {parts[-2]!r}, not {self.assignment!r}"))
                continue
            elif len(parts) == 2 and not self.regexp:  # <student>/<file>
                student, name = parts[0], path.stem
                problem = None if name in self.sources else self._unknown(path.name)
            else:
                student, name, timestamp, problem = self.names_from_filename(path)
            entries.append((path, student, name, timestamp, problem))
        return entries

    def _unknown(self, filename: str) -> str:
        wanted = ", ".join(f"{n}.ipynb" for n in self.sources)
        return f"{filename!r} is not a notebook of {self.assignment} (expected {wanted})"

    def submitted_problem(self, folder: Path) -> str | None:
        """Why the notebooks already in a submission folder cannot be graded (the reasons an
        import gives), or None: no notebook named as this assignment's, or one that is corrupt."""
        notebooks = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
        ours = [p for p in notebooks if p.stem in self.sources]
        if not ours:
            found = ", ".join(repr(p.name) for p in notebooks[:3]) + (" ..." if len(notebooks) > 3 else "")
            other = next((self.other_notebooks[p.stem] for p in notebooks if p.stem in self.other_notebooks), None)
            why = self._unknown(notebooks[0].name) if len(notebooks) == 1 else \
                f"{found}: no notebook of {self.assignment} (expected {', '.join(f'{n}.ipynb' for n in self.sources)})"
            if other:
                why += f"; it is a notebook of {other}"
            return why + ": rename the file as the assignment's notebook, or re-import the student's submission"
        for path in ours:
            reason = check_notebook(path, self.expected_ids.get(path.stem))
            if reason:
                return f"{path.name}: {reason}"
        return None

    # -- importing ------------------------------------------------------------
    def run(self, source: Path, overwrite: bool = True) -> ImportReport:
        source = Path(source).resolve()  # the instructor's own path may be a link; nothing inside it may
        if not source.exists():
            raise CourseError(f"Nothing to import: {source} does not exist.")
        report = ImportReport(self.assignment)
        with tempfile.TemporaryDirectory(prefix="autograder-import-") as tmp:
            folder = _unwrap(self._unpack(source, Path(tmp)) if source.is_file() else source, self.assignment)
            chosen: dict[tuple[str, str], tuple[Path, str | None]] = {}
            for path, student, name, timestamp, problem in self.scan(folder):
                shown = str(path.relative_to(folder))
                if path.is_symlink() or not path.is_file():
                    report.problems.append(Problem(student or "?", shown, problem))
                    continue
                if student is not None and not STUDENT_ID.match(student):
                    report.problems.append(Problem(student, shown, f"{student!r} is not a usable student id"))
                    continue
                if path.suffix.lower() != ".ipynb":
                    problem = check_notebook(path)  # "not a notebook" says more than its name
                elif problem is None:
                    problem = check_notebook(path, self.expected_ids.get(name or ""))
                if problem is not None or not student or not name:
                    report.problems.append(Problem(student or "?", shown, problem or "cannot tell whose file this is"))
                    continue
                key = (student, name)
                if key in chosen:
                    older = chosen[key][0]
                    report.problems.append(Problem(student, str(older.relative_to(folder)),
                                                   f"duplicate of {shown}: the later file is graded"))
                chosen[key] = (path, timestamp)
            for (student, name), (path, timestamp) in sorted(chosen.items()):
                dest_dir = self.course.folder("submitted") / student / self.assignment
                dest = dest_dir / f"{name}.ipynb"
                if dest.exists() and not overwrite:
                    report.problems.append(Problem(student, dest.name, "already submitted; kept the existing file"))
                    continue
                dest_dir.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
                if timestamp:
                    (dest_dir / "timestamp.txt").write_text(timestamp)
                report.imported.append((student, dest.name))
            report.new_students = self._add_students(report.students)
        record_fingerprints(self.course, self.assignment,
                            {s: fingerprint(self.course, self.assignment, s) for s in report.students}, "import")
        self._remember(report)
        return report

    def _remember(self, report: ImportReport) -> None:
        """Keep the rejected files in ``.autograder/<assignment>.import.json`` for exports and the report."""
        path = rejected_path(self.course, self.assignment)
        known = json.loads(path.read_text()) if path.exists() else {}
        for student in report.students:
            known.pop(student, None)  # a good file now replaces an earlier rejection
        for problem in report.problems:
            if problem.student not in report.students:
                known.setdefault(problem.student, []).append({"file": problem.file, "reason": problem.reason})
        path.write_text(json.dumps(known, indent=1))

    def _unpack(self, archive: Path, tmp: Path) -> Path:
        if archive.suffix.lower() not in (".zip", ".gz"):
            raise CourseError(f"{archive} is neither a folder nor a zip of submissions.")
        from nbgrader.plugins import ExtractorPlugin

        incoming, extracted = tmp / "archive", tmp / "extracted"
        incoming.mkdir()
        extracted.mkdir()
        shutil.copy(archive, incoming / archive.name)
        try:
            ExtractorPlugin(force=True).extract(str(incoming), str(extracted))
        except Exception as exc:  # noqa: BLE001
            raise CourseError(f"Could not unpack {archive}: {exc}") from None
        return extracted

    def _add_students(self, students: list[str]) -> list[str]:
        from nbgrader.api import MissingEntry

        added = []
        with self.course.gradebook() as gb:
            for student in students:
                try:
                    gb.find_student(student)
                except MissingEntry:
                    gb.add_student(student)
                    added.append(student)
        return added


def fingerprint(course: Course, assignment: str, student: str) -> str:
    """A hash of the student's submitted files (names and contents)."""
    return folder_fingerprint(course.folder("submitted") / student / assignment)


def folder_fingerprint(folder: Path, ignore: Sequence[str] = ()) -> str:
    """A hash of the regular files under ``folder`` (names and contents), leaving out names
    that match a pattern of ``ignore`` at any depth (as ``shutil.ignore_patterns`` does)."""
    digest = hashlib.sha256()
    for path in walk_files(folder)[0] if folder.is_dir() else []:
        relative = path.relative_to(folder)
        if any(fnmatch.fnmatch(part, pattern) for part in relative.parts for pattern in ignore):
            continue
        digest.update(str(relative).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _fingerprints_path(course: Course, assignment: str) -> Path:
    return course.state_dir / f"{assignment}.fingerprints.json"


def known_fingerprints(course: Course, assignment: str) -> dict[str, dict]:
    """{student: {"fingerprint", "source" (import, first grading...), "time"}} as recorded."""
    path = _fingerprints_path(course, assignment)
    try:
        return json.loads(path.read_text()) if path.exists() else {}
    except ValueError:
        return {}


def record_fingerprints(course: Course, assignment: str, stamps: dict[str, str], source: str) -> None:
    """Record the fingerprints of submissions brought in by ``source`` (written atomically)."""
    if not stamps:
        return
    known = known_fingerprints(course, assignment)
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    for student, stamp in stamps.items():
        known[student] = {"fingerprint": stamp, "source": source, "time": now}
    path = _fingerprints_path(course, assignment)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(known, indent=1, sort_keys=True))
    tmp.replace(path)


def rejected_path(course: Course, assignment: str) -> Path:
    return course.state_dir / f"{assignment}.import.json"


def rejected_files(course: Course, assignment: str) -> dict[str, list[dict]]:
    """Students with no gradable file, and their rejected files with reasons."""
    path = rejected_path(course, assignment)
    return json.loads(path.read_text()) if path.exists() else {}


def import_submissions(course: Course, assignment: str, source: Path | str,
                       regexp: str | None = None, overwrite: bool = True) -> ImportReport:
    """Import ``source`` (folder or zip) as submissions of ``assignment``; see the module doc."""
    course.ensure_gradebook(assignment)
    return Importer(course, assignment, regexp).run(Path(source), overwrite=overwrite)
