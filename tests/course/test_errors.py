"""course.errors: common Keras/NumPy/Python errors explained in the student's terms."""
import keras
import numpy as np
import pytest

from course import errors
from tests.course.student_code import raised_by as _raised


def raised(action):
    try:
        action()
    except Exception as error:  # noqa: BLE001
        return error
    raise AssertionError("no error raised")


@pytest.mark.parametrize("action, words", [
    (lambda: keras.layers.Dense(4, activation="ReLU"), "lowercase strings: activation='relu'"),
    (lambda: keras.Input(shape=20), "shape=(20,)"),
    (lambda: keras.Sequential(keras.Input(shape=(2,)), keras.layers.Dense(1)), "one list of layers"),
    (lambda: np.mean(np.zeros(3), axis=1), "one axis"),
    (lambda: keras.layers.normalization, "keras.layers.Normalization"),
    (lambda: keras.layers.Normalization().fit, ".adapt(data)"),
    (lambda: int(np.zeros(3) > 1), ".astype(int)"),
    (lambda: keras.callbacks.History()["loss"], "history.history['loss']"),
    (lambda: keras.layers.Dense(64.5), "whole number of neurons"),
    (lambda: __import__("matplotlib.pyplot").pyplot.figure().add_subplot().plot(range(5), [1, 2, 3]),
     "as many epoch numbers as the History holds values"),
])
def test_explain_says_what_to_change_and_keeps_the_original(action, words):
    error = raised(action)
    text = errors.explain(error)
    assert words in text, text
    assert f"Python said: {type(error).__name__}:" in text


def test_unknown_errors_are_relayed_whole():
    text = errors.explain(RuntimeError("something odd. " * 3))
    assert text.startswith("your code raised RuntimeError: something odd.")
    assert text.rstrip().endswith("odd.")


def test_long_keras_messages_are_cut_at_a_line_not_mid_word():
    text = errors.original(ValueError("first line\n" + "word " * 200 + "\n\nArguments received by X"))
    assert "Arguments received" not in text and text.endswith("…") and "wor …" not in text


def test_the_known_errors_are_one_table_of_data():
    """known_errors.toml: every row has a type, a pattern that compiles, and either a sentence
    of advice or the name of an explaining function in course/errors.py."""
    import re
    import tomllib
    from pathlib import Path

    rows = tomllib.loads(Path(errors.__file__).with_name("known_errors.toml").read_text())["error"]
    assert len(rows) == len(errors.KNOWN_ERRORS) >= 30
    for row, (_kind, _pattern, advice) in zip(rows, errors.KNOWN_ERRORS):
        re.compile(row["type"]), re.compile(row["pattern"])
        assert ("advice" in row) != ("explain" in row), row
        assert callable(advice) if "explain" in row else advice == row["advice"] and advice.strip()
    assert not any(callable(advice) and advice.__name__ == "<lambda>" for _, _, advice in errors.KNOWN_ERRORS)


def test_a_relayed_explanation_starts_a_sentence():
    assert errors.sentence("your code raised ValueError: x") == "Your code raised ValueError: x"
    assert errors.sentence("`x` is not defined") == "`x` is not defined"  # code stays as written
    assert errors.sentence("") == ""


def test_an_unpacking_error_names_shape_only_when_the_line_unpacks_a_shape():
    """Class 1 of issue 22: a cause is named only on evidence. ``a, b = y.shape`` gets the shapes;
    a loop over zip() of one list does not hear about shapes it never used."""
    shape = errors.explain(_raised("n_rows, n_features = y.shape\n", {"y": np.zeros(3)}))
    assert "x.shape is (1000, 20) and y.shape is (1000,)" in shape
    loop = errors.explain(_raised("rows = [(e, l, a) for e, (l, a) in enumerate(zip([0.5, 0.4]))]\n", {}))
    assert ".shape" not in loop and "zip() is missing a second list" in loop
    pairs = errors.explain(_raised("rows = [(l, a) for e, (l, a) in enumerate([(0.5,), (0.4,)])]\n", {}))
    assert "zip()" not in pairs and "one name on the left for each value" in pairs
    many = errors.explain(_raised("a, b = (1, 2, 3)\n", {}))
    assert "gives more values than the 2 names in `a, b = (1, 2, 3)`" in many and " value(s)" not in many



def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@pytest.mark.parametrize("code, words", [
    # class 6 of issue 22: a relayed Python error says what to change, in the student's terms
    ("fig, (left, right) = plt.subplots(1)\n", "plt.subplots(1, 2)"),
    ("fig, (left, right) = plt.subplots(2, 2)\nleft.plot([1, 2])\n", "an array of axes, not one axes"),
    ("epochs = range(1, 6)\nplt.plot(epochs[..., None])\n", "a range is indexed with one whole number"),
    ("plt.figure().add_subplot().bar([1, 2], [1, 2], marker='o')\n", "bar() draws bars"),
    ("rows = list(enumerate(start=1))\n", "enumerate() is missing what to number"),
    ("n_samples, n_features = x.size\n", "x.shape gives the (rows, columns) pair"),
    ("values = {'loss': [1.0]}\nvalues['mae']\n", "there is no key 'mae' in the dictionary read in `values['mae']`"),
    ("values = {'loss': [1.0]}\nvalues['val_loss']\n", "there is no 'val_loss' key"),
    ("(left, right), figure = plt.subplots(1, 2)\n", "returns the figure first, then the axes"),
    ("figure, (left, right) = plt.subplots(0, 2)\n", "at least one row and one column in `figure, (left, right) = plt.subplots(0, 2)`"),
    ("trace = [1] - [2, 3]\n", "lists cannot be subtracted"),
    ("inputs = keras.Input()\n", "keras.Input() needs shape="),
    ("sample = np.zeros((1, 3))[1]\n", "along axis 0 the array holds 1 item, counted from 0, so the only one is 0"),
    ("flat = np.zeros(6).reshape(0)\n", "an array of 6 values cannot take the shape (0,)"),
    ("values = {'loss': [1.0, 0.5], 'accuracy': [0.6, 0.7]}\nrows = [(e, l, a) for e, (l, a)\n"
     "        in enumerate(zip(values['loss']), start=1)]\n", "zip() is missing a second list"),
    ("def curves(values):\n    epochs = range(2, len(values) + 1)\n    plt.plot(epochs, values)\ncurves([1, 2, 3])\n",
     "in `plt.plot(epochs, values)` (epochs = range(2, 4))"),
    ("spread = np.std()\n", "np.std() is missing its argument `a` (the array)"),
    ("layer = keras.layers.Dense(activation='relu')\n", "Dense() is missing its argument `units`"),
    ("n = len()\n", "len() is missing its argument"),
    ("m = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])\nm.evaluate(np.zeros((2, 2)))\n",
     "use .predict(samples)"),
    ("m = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])\nm[0]\n", "model.layers[index]"),
    ("i = keras.Input(shape=(2,))\nkeras.Model(outputs=[i])\n", "add inputs="),
    ("plt.plot(range(2, 6), [1, 2, 3, 4, 5])\n", "(4 x values, 5 y values) in `plt.plot(range(2, 6)"),
    ("m = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, activation='sigmoid')])\n"
     "m.compile(loss='binary_crossentropy')\nm.fit(np.zeros((4, 2)), epochs=1, verbose=0)\n",
     "model.fit() was given no labels"),
    ("m = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])\ni = 2\n"
     "m.predict(np.zeros((5, 2))[i:i - 1], verbose=0)\n", "predict() was given no samples in `m.predict("),
    ("def last(values):\n    for value in values:\n        found = value\n    return found\nlast([])\n",
     "`found` is used before anything was assigned to it in `return found`"),
])
def test_relayed_errors_say_what_to_change_on_the_students_line(code, words):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = errors.explain(_raised(code, {"np": np, "keras": keras, "plt": _plt(), "x": np.zeros((4, 2))}))
    assert words in text, text
    assert "(Python said:" in text, text


@pytest.mark.parametrize("code, compared", [
    ("n_samples == 1000\n", "n_samples"),
    ("n_samples, n_features == (1000, 20)\n", "n_samples, n_features"),
    ("(n_samples, n_features) == (1000, 20)\n", "n_samples, n_features"),
    ("total = n_samples + 1\n", None),  # a name used, not compared: no comparison to name
    ("n_samples > 5\n", None),
])
def test_a_comparison_written_for_an_assignment_is_read_from_the_statement(code, compared):
    """Class 3 of issue 22: written code is never 'not attempted'; `a == ...` names the == it used."""
    assert errors.compared_instead_of_assigned(_raised(code, {})) == compared
