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


def test_no_file_of_the_course_package_holds_the_quiz_key_in_any_form():
    """The key (answer_keys/quiz.toml, instructor material) is not in course/: no letters, no digests
    (four options make any digest of a letter a lookup table), no explanation, which states the answer."""
    import tomllib

    key = tomllib.loads((ROOT / "answer_keys" / "quiz.toml").read_text())
    letters = "".join(key[f"q{n}"]["answer"] for n in range(1, 9))
    explanations = [normalized(entry["explanation"]) for entry in key.values()]
    assert len(explanations) == 8 and len(letters) == 8
    files = [p for p in (ROOT / "course").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert any(p.name == "quiz.py" for p in files)
    for path in files:
        text = path.read_text(errors="replace")
        assert not re.search(r"answer\w*\s*[=:]\s*['\"][A-D]['\"]", text), path
        assert not re.search(r"\b[0-9a-f]{40,}\b", text), path  # no digest
        assert letters not in text and " ".join(letters) not in text, path
        assert not [e for e in explanations if e in normalized(text)], path
