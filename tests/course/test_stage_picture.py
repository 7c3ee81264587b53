"""The stage pictures the lessons draw in locked cells (`ex.show_stage(...)`), from real arrays."""
import ast
import importlib
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course.pipeline import STAGES
from course.stage_picture import stage_picture
from tests import reference_solutions as ref

ROOT = Path(__file__).resolve().parents[2]
#: What each stage's picture is drawn from: (before, after) in the notebook's names.
PICTURES = {1: ("x",), 2: ("x", "x_normalized"), 3: ("x_normalized", "hidden_1"),
            4: ("hidden_1", "hidden_2"), 5: ("hidden_2", "probabilities")}


def locked_pictures():
    """(lesson module, stage number, names) for every `ex.show_stage` call in source/."""
    for path in sorted((ROOT / "source").glob("*/*.ipynb")):
        lesson = "lesson" + path.parent.name[:2]
        for cell in nbformat.read(str(path), as_version=4).cells:
            if cell.cell_type != "code" or "show_stage" not in cell.source:
                continue
            assert cell.metadata["nbgrader"].get("locked"), f"{path.name}: a stage picture in an unlocked cell"
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "show_stage":
                    number, *names = [ast.literal_eval(arg) for arg in node.args]
                    yield lesson, number, tuple(names)


LOCKED = list(locked_pictures())


def test_every_stage_is_drawn_from_its_own_input_and_output():
    assert sorted(number for _, number, _ in LOCKED) == [1, 2, 3, 4, 5]
    for lesson, number, names in LOCKED:
        assert names == PICTURES[number], (lesson, number, names)


@pytest.fixture(scope="module")
def namespaces():
    spaces = ref.lesson_namespaces()
    spaces["lesson02"].update(x=spaces["lesson01"]["x"])
    spaces["lesson03"].update(x_normalized=spaces["lesson02"]["x_normalized"])
    spaces["lesson04"].update(hidden_2=spaces["lesson03"]["hidden_2"])
    return spaces


def first_values(array) -> str:
    return ", ".join(f"{v:.2f}" for v in np.asarray(array)[0][:2])


@pytest.mark.parametrize("lesson, number, names", LOCKED, ids=[f"stage{n}" for _, n, _ in LOCKED])
def test_the_locked_cell_draws_the_stage_from_the_notebook_arrays(namespaces, capsys, lesson, number, names):
    module = importlib.import_module(f"course.lessons.{lesson}")
    namespace = namespaces[lesson]
    module.bind(namespace)
    module.show_stage(number, *names)
    shown = capsys.readouterr().out
    stage = STAGES[number - 1]
    lines = shown.splitlines()
    assert lines[0] == f"Stage {number} · {stage.name}"
    assert lines[1].startswith("  in : 1000 rows x ") and stage.purpose in lines[2]
    before = np.asarray(namespace[names[0]])
    assert f"{before.shape[1]} columns" in lines[1] and first_values(before) in lines[1]
    if len(names) == 2:
        after = np.asarray(namespace[names[1]])
        assert lines[3].startswith("  out: 1000 rows x ")
        expected_columns = stage.units
        assert f"x {expected_columns} column" in lines[3] and first_values(after) in lines[3]


def test_a_picture_waits_for_an_unfinished_exercise(capsys):
    from course.lessons import lesson03

    lesson03.bind({"x_normalized": np.zeros((1000, 20))})
    lesson03.show_stage(3, "x_normalized", "hidden_1")
    assert "Stage 3 appears here once `hidden_1` is defined" in capsys.readouterr().out


def test_the_picture_text():
    before, after = np.arange(40.0).reshape(2, 20), np.ones((2, 64))
    assert stage_picture(3, before, after).splitlines() == [
        "Stage 3 · Dense layer 1",
        "  in : 2 rows x 20 columns  " + stage_picture(3, before).splitlines()[1].split("columns  ")[1],
        "       Fully connected layer with 64 neurons and ReLU activation",
        "  out: 2 rows x 64 columns  " + stage_picture(3, after).splitlines()[1].split("columns  ")[1],
    ]
