"""course.failing_code: where a student's error happened, read from the traceback, and the same
facts carried by an error the grader rebuilds."""
import keras
import numpy as np

from course import errors, failing_code
from tests.course.student_code import raised_by as _raised
from tests.course.test_errors import _plt


def test_the_students_line_is_the_deepest_one_they_wrote_not_keras():
    """An error raised inside Keras is placed on the student's line that called Keras."""
    error = _raised("layer = keras.layers.Dense(2)\nout = layer(np.zeros((3, 4)))\nagain = layer(np.zeros((3, 5)))\n",
                    {"np": np, "keras": keras})
    assert failing_code.failing_line(error) == "again = layer(np.zeros((3, 5)))"
    assert failing_code.raised_in_library(error)
    assert not failing_code.raised_in_library(_raised("a, b = 1, 2, 3\n", {}))


def test_what_the_failing_line_held_crosses_to_the_trusted_checks_with_the_error():
    """The kernel exports the statement and the values a message quotes; the trusted process's
    rebuilt error explains itself in the same words as the kernel's (autograder's _rebuild_error)."""
    from autograder.check.trusted import _rebuild_error
    from course.answers import _error

    code = ("def curves(values):\n    epochs = range(2, len(values) + 1)\n    plt.plot(epochs, values)\n"
            "curves([1, 2, 3])\n")
    error = _raised(code, {"plt": _plt()})
    data = _error(error)
    assert data["values"] == {"epochs": "range(2, 4)"} and data["statement"] == "plt.plot(epochs, values)"
    assert errors.explain(_rebuild_error(data)) == errors.explain(error)


def test_the_whole_statement_is_read_when_the_failing_line_is_part_of_it():
    code = ("values = {'loss': [1.0], 'accuracy': [0.5]}\nrows = [(e, l, a) for e, (l, a)\n"
            "        in enumerate(zip(values['loss']), start=1)]\n")
    error = _raised(code, {})
    assert failing_code.failing_line(error) == "rows = [(e, l, a) for e, (l, a)"
    assert "zip(values['loss'])" in failing_code.failing_statement(error)
    assert failing_code.calls_with_one_argument(failing_code.failing_statement(error), "zip")


def test_the_line_values_are_names_outside_strings_and_kinds_worth_showing():
    code = ("epochs = range(2, 4)\nloss = 0.25\naccuracy = 3\nvalues = {'accuracy': [1, 2, 3]}\n"
            "fail = epochs[int(loss) + values['accuracy'][0] * 10]\n")
    values = failing_code.line_values(_raised(code, {}))
    # `accuracy` appears only inside a string; a dict is not a kind a message quotes
    assert values == {"epochs": "range(2, 4)", "loss": "0.25"}
