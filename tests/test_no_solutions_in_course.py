"""`course/` is what students import and read: it must not hold any lesson's solution."""
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


def normalized(line: str) -> str:
    return re.sub(r"\s+", "", line).replace('"', "'")


def solution_regions():
    """(lesson, [its substantial lines]) for every solution region in source/."""
    for path in sorted((ROOT / "source").glob("*/*.ipynb")):
        for cell in nbformat.read(str(path), as_version=4).cells:
            for region in SOLUTION.findall(cell.source):
                # Short lines ("return normalizer", "])") are not a solution by themselves.
                lines = [normalized(line) for line in region.splitlines() if len(normalized(line)) >= 20]
                if lines:
                    yield path.parent.name, lines


def test_no_solution_appears_in_the_course_package():
    """A region leaks when all its lines appear in course/ (messages may quote one fragment,
    such as keras.Input(shape=(20,)), but never the whole answer)."""
    course_text = normalized("\n".join(p.read_text() for p in (ROOT / "course").rglob("*.py")))
    regions = list(solution_regions())
    assert len(regions) >= 15  # the scan found the solutions it is looking for
    leaked = [(lesson, lines) for lesson, lines in regions if all(line in course_text for line in lines)]
    assert not leaked, leaked


def test_quiz_answers_are_stored_only_as_digests():
    quiz = (ROOT / "course" / "quiz.py").read_text()
    assert "key_digest" in quiz and not re.search(r"answer\w*\s*=\s*['\"][A-D]['\"]", quiz)
