"""course.reference_epochs: one table of the reference epoch numbers, and everything that quotes it."""
import json
import re
from pathlib import Path

from course import quiz, reference_epochs
from course.reference_epochs import EPOCH_TABLE, band, column, in_band, trend

ROOT = Path(__file__).resolve().parents[2]


def test_the_table():
    assert len(EPOCH_TABLE) == reference_epochs.EPOCHS == 5
    loss, accuracy = column("loss"), column("accuracy")
    assert loss == sorted(loss, reverse=True) and accuracy == sorted(accuracy)
    assert band(-1, "loss") == (0.30, 0.06) and band(0, "accuracy") == (0.60, 0.08)
    assert in_band(0.35, -1, "loss") and not in_band(0.37, -1, "loss")
    assert trend() == "Loss falls 0.65 → 0.30 while accuracy rises 0.60 → 0.89 over 5 epochs"


def test_the_quiz_and_the_instructors_reference_run_quote_it():
    from autograder.coursework import reference

    assert quiz.QUESTIONS[6].text.startswith(trend())
    assert reference.SEED_EPOCH_TABLE == list(EPOCH_TABLE)


def _quoted(text: str) -> list[str]:
    return re.findall(r"0\.\d\d", text)


def test_lesson_5_and_the_readme_quote_the_table():
    """Prose cannot import the table: it must say the same first and last numbers."""
    loss, accuracy = column("loss"), column("accuracy")
    expected = [f"{loss[0]:.2f}", f"{loss[-1]:.2f}", f"{accuracy[0]:.2f}", f"{accuracy[-1]:.2f}"]
    notebook = json.loads((ROOT / "source/05_training/05_training.ipynb").read_text())
    sentence = next("".join(cell["source"]) for cell in notebook["cells"]
                    if "as in the reference epoch table" in "".join(cell["source"]))
    assert _quoted(sentence[sentence.index("about"):])[:4] == expected
    readme = (ROOT / "README.md").read_text()
    start = readme.index("reproduces the reference pipeline's epoch table")
    assert _quoted(readme[start:start + 200])[:4] == expected
