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


# --------------------------------------------------------------------------- check messages

def _solution_expressions() -> dict[str, str]:
    """The solutions' code in source/: each comprehension and each call with two or more arguments
    (also cut after its 2nd, 3rd, ... argument) of at least 20 characters, whitespace and quotes
    normalised. API names and one-argument calls are what the lessons teach, not answers."""
    import ast
    import re

    found = {}
    for path in sorted((ROOT / "source").glob("*/*.ipynb")):
        for cell in nbformat.read(str(path), as_version=4).cells:
            for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S):
                lines = [line for line in region.splitlines() if line.strip()]
                indent = min(len(line) - len(line.lstrip()) for line in lines)
                try:
                    tree = ast.parse("\n".join(line[indent:] for line in lines))
                except SyntaxError:
                    continue
                for node in ast.walk(tree):
                    if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.SetComp)):
                        variants = [node]
                    elif isinstance(node, ast.Call) and len(node.args) + len(node.keywords) >= 2:
                        given = [*node.args, *node.keywords]
                        variants = [ast.Call(node.func, [a for a in given[:count] if isinstance(a, ast.expr)],
                                             [k for k in given[:count] if isinstance(k, ast.keyword)])
                                    for count in range(2, len(given) + 1)]
                    else:
                        continue  # a name, a constant, a one-argument call: the API the lesson teaches
                    for variant in variants:
                        text = _normal(ast.unparse(variant))
                        if len(text) >= 20:
                            found[text] = path.parent.name
    return found


def _normal(text: str) -> str:
    import re

    return re.sub(r"\s+", "", text).replace("'", '"')


def _check_messages() -> list[tuple[str, str]]:
    """Every string a check or an error explanation can show (f-strings' fixed parts joined by {})."""
    import ast

    messages = []
    paths = [*(ROOT / "course").glob("*_checks.py"), *(ROOT / "course" / "lessons").glob("*.py"),
             ROOT / "course" / "errors.py", ROOT / "course" / "exercise.py", ROOT / "course" / "arguments.py"]
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
            else:
                continue
            messages.append((f"{path.relative_to(ROOT)}:{node.lineno}", text))
    import tomllib

    for entry in tomllib.loads((ROOT / "course" / "known_errors.toml").read_text())["error"]:
        messages += [("course/known_errors.toml", str(value)) for value in entry.values()]
    return messages


def test_check_messages_name_the_mistake_without_writing_the_solution():
    """A check tells what is wrong; it never writes the code of an exercise's solution
    (e.g. lesson 6 exercise 1 wrote the whole outputs=[...] list of its solution)."""
    solutions = _solution_expressions()
    assert any("layer.output" in s for s in solutions)  # the lesson 6 solution is seen
    leaks = [(where, expression, solutions[expression]) for where, message in _check_messages()
             for expression in solutions if expression in _normal(message)]
    assert not leaks, "\n".join(f"{where}: writes {lesson}'s solution {code}" for where, code, lesson in leaks)
