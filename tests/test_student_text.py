"""Student-facing text never uses the course's internal name for its reference page."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
#: "the seed", "seed page", "the seed's", "as the seed": the internal name, not a random seed.
JARGON = re.compile(r"(?i)\bthe seed\b|\bseed page\b|\bseed's\b|\bas the seed\b")


def _hits(text: str, where: str) -> list[str]:
    return [f"{where}: ...{text[max(0, m.start() - 30):m.end() + 30]!r}..." for m in JARGON.finditer(text)]


def test_release_notebooks_do_not_say_seed():
    hits = []
    for path in sorted((ROOT / "release").rglob("*.ipynb")):
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            hits += _hits(cell.source, f"{path.relative_to(ROOT)} cell {index}")
    assert not hits, "\n".join(hits)


def test_course_library_does_not_say_seed():
    hits = []
    for path in sorted((ROOT / "course").rglob("*.py")):
        hits += _hits(path.read_text(), str(path.relative_to(ROOT)))
    assert not hits, "\n".join(hits)


def test_course_trace_help_does_not_say_seed():
    help_text = subprocess.run([sys.executable, "-m", "autograder.coursework.trace_command", "--help"], capture_output=True,
                               text=True, check=True, cwd=ROOT).stdout
    assert "reference pipeline" in help_text
    assert not _hits(help_text, "course-trace --help")


def test_the_scanner_finds_the_jargon():
    assert _hits("as the seed page draws it", "x") and _hits("the seed's band", "x")
    assert not _hits("training seed (default 42)", "x")
