"""Every widget leaves a static picture or table in the notebook (issue 17, item 9).

Widgets only draw where a widget manager runs them. nbconvert's HTML (what nbgrader's feedback
is made of), GitHub's viewer and a reopened notebook show an output's ``text/html`` instead, so
each widget's output carries one: the inspector's figure and table, the training curves' final
figure and epoch table, the quiz question with its options and verdict. Each test executes a
notebook with nbclient, converts it with nbconvert's HTML exporter and looks for them.
"""
from __future__ import annotations

import json
import os
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

SETUP = """import course, keras
from course.data import load_data
x, y = load_data()
normalizer = keras.layers.Normalization()
normalizer.adapt(x)
model = keras.Sequential([keras.Input((20,)), normalizer, keras.layers.Dense(64, activation="relu"),
                          keras.layers.Dense(32, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])"""
IMAGE = re.compile(r"<img[^>]+src=['\"]data:image/png;base64,[A-Za-z0-9+/=]{2000,}")


def execute_and_convert(nb: nbformat.NotebookNode, folder, saved_as_in_jupyterlab: bool = False,
                        **env: str) -> str:
    """Run ``nb`` in ``folder`` with nbclient (environment ``env``), then nbconvert it to HTML.

    nbclient keeps the widgets' state in the notebook, as nbgrader's autograde does, and
    nbconvert then prefers a widget's live view (drawn by JavaScript from the internet) to
    anything beside it. ``saved_as_in_jupyterlab`` drops that state first, as JupyterLab saves
    a notebook by default (ipywidgets' "save widget state" is off) and as GitHub shows it:
    the live views then render nowhere, and each output must show what it holds besides them."""
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    saved = {name: os.environ.get(name) for name in (*env, "NBGRADER_EXECUTION", "COURSE_WIDGETS")}
    os.environ.pop("NBGRADER_EXECUTION", None)
    os.environ.pop("COURSE_WIDGETS", None)
    os.environ.update(env)
    try:
        NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    if saved_as_in_jupyterlab:
        nb.metadata.pop("widgets", None)
    html, _ = HTMLExporter().from_notebook_node(nb)
    return html


def _cell_html(html: str, nb: nbformat.NotebookNode, marker: str) -> str:
    """The page's part for the (first) code cell whose source holds ``marker``."""
    cell = next(c for c in nb.cells if c.cell_type == "code" and marker in c.source)
    start = html.index(f'id="cell-id={cell.id}"')
    end = html.find('id="cell-id=', start + 10)
    return html[start:end if end > 0 else None]


@pytest.mark.parametrize("widgets", ["live", "static"])
def test_inspector_and_live_curves_leave_a_picture_and_a_table(tmp_path, widgets):
    nb = new_notebook(cells=[
        new_code_cell(SETUP),
        new_code_cell("from course.widgets import LiveCurves\n"
                      "history = model.fit(x, y, epochs=3, batch_size=32, verbose=0, callbacks=[LiveCurves()])"),
        new_code_cell("from course.widgets import ActivationInspector\nActivationInspector(model, x, y)"),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    # live: as a student's JupyterLab saves it; static: as nbgrader runs it (COURSE_WIDGETS=static
    # stands in for NBGRADER_EXECUTION, which would also make the course's checks stay quiet)
    html = execute_and_convert(nb, tmp_path, saved_as_in_jupyterlab=widgets == "live", COURSE_WIDGETS=widgets)
    curves = _cell_html(html, nb, "LiveCurves()")
    assert IMAGE.search(curves), "the training curves left no picture"
    assert "Observation" in curves and "Model starts learning" in curves, "no epoch table"
    inspector = _cell_html(html, nb, "ActivationInspector(model, x, y)")
    assert IMAGE.search(inspector), "the inspector left no picture"
    assert "course-inspector" in inspector and "predicted class" in inspector, "the inspector left no table"


def test_quiz_widget_leaves_the_question_and_its_verdict(tmp_path):
    (tmp_path / ".quiz_answers.json").write_text(json.dumps({"1": "A"}))
    nb = new_notebook(cells=[new_code_cell("import course\nfrom course.lessons import lesson07 as ex\nex.ask(1)")],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    html = execute_and_convert(nb, tmp_path, saved_as_in_jupyterlab=True, COURSE_QUIZ_MODE="self-study")
    shown = _cell_html(html, nb, "ex.ask(1)")
    assert "What does the ReLU activation function do" in shown
    assert "It changes all negative values to zero" in shown  # every option
    assert "A is not the right answer" in shown and "max(0, z)" in shown  # the verdict the widget shows


def test_lesson_6_feedback_shows_the_inspector(tmp_path):
    """Lesson 6 as nbgrader's feedback would show it: the inspector's cell is not blank."""
    nb = nbformat.read(str(ROOT / "source" / "06_prediction_trace" / "06_prediction_trace.ipynb"), as_version=4)
    html = execute_and_convert(nb, tmp_path, COURSE_WIDGETS="static")
    inspector = _cell_html(html, nb, "ActivationInspector(model, x)")
    assert IMAGE.search(inspector) and "course-inspector" in inspector
