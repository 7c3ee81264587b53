"""A lesson's teaching text never gives away an exercise's answer or a quiz answer."""
from pathlib import Path

import nbformat
import pytest

from course.quiz import QUESTIONS, is_correct

ROOT = Path(__file__).resolve().parents[1]


def markdown_of(folder: str, assignment: str) -> str:
    path = ROOT / folder / assignment / f"{assignment}.ipynb"
    return "\n".join(cell.source for cell in nbformat.read(str(path), as_version=4).cells
                     if cell.cell_type == "markdown")


def right_option(question) -> str:
    return next(text for letter, text in question.options.items() if is_correct(question, letter))


@pytest.mark.parametrize("folder", ["source", "release"])
def test_lesson_3_text_does_not_give_away_the_parameter_counts(folder):
    """Exercise 3 asks for a Dense layer's parameter count; quiz question 5 for Dense(32) after Dense(64)."""
    import keras

    text = markdown_of(folder, "03_dense_layers").replace(" ", "")
    first, second = keras.layers.Dense(64), keras.layers.Dense(32)
    first.build((None, 20))
    second.build((None, 64))
    counts = {str(first.count_params()), str(second.count_params()), right_option(QUESTIONS[4])}
    assert not [count for count in counts if count in text]
    for formula in ("20·64", "20*64", "20×64", "64·32", "64*32", "64×32", "inputs*units", "inputs·units"):
        assert formula not in text


@pytest.mark.parametrize("question", [q for q in QUESTIONS if right_option(q).isdigit()],
                         ids=lambda q: f"q{q.number}")
def test_no_lesson_before_the_quiz_states_a_numeric_quiz_answer_in_its_words(question):
    """The lesson a quiz question comes from must not print its number next to the question's idea."""
    answer = right_option(question)
    lesson = next(p.name for p in (ROOT / "source").iterdir() if p.name.replace("_", " ").startswith(question.lesson[:2]))
    text = markdown_of("source", lesson)
    assert f"holds {answer}" not in text and f"= {answer}" not in text and f"{answer} parameters" not in text
