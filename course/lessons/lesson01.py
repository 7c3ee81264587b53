"""Lesson 1 · Input data: the 1000 x 20 feature table and its labels."""
from __future__ import annotations

import numpy as np

from course import errors
from course.data import Dataset, generate, load_data
from course.exercise import Exercise, Notebook, call_student
from course.feedback import CheckFailed

notebook = Notebook()
bind, show_stage, ready = notebook.bind, notebook.show_stage, notebook.ready


def _load(problems, x, y, rows=None):
    expected = load_data()
    if isinstance(x, tuple):
        problems.add("`x` holds the pair that load_data() returns: unpack it into two names on "
                     "the left of one assignment.")
        return None
    if np.shape(x) == (1000,) and np.shape(y) == (1000, 20):
        problems.add("`x` and `y` are swapped: load_data() returns the features first, then the "
                     "labels; unpack them in that order.")
        return None
    if np.shape(x) == (20, 1000):
        problems.add("`x` is transposed, shape (20, 1000): keep one row per sample, shape "
                     "(1000, 20), as load_data() gives it (no .T).")
        return None
    if isinstance(y, np.ndarray) and y.dtype.kind in "USO":
        problems.add("`y` holds strings: keep the labels as the 0/1 numbers load_data() gives "
                     "(no .astype(str)).")
        return None
    if np.shape(y) == (1000, 1):
        problems.add("`y` is a column, shape (1000, 1): keep the labels one-dimensional, shape (1000,), "
                     "as load_data() gives them (no reshape).")
        return None
    held_out = load_data("test")
    if np.shape(x) == held_out.x.shape and np.array_equal(x, held_out.x):
        problems.add(f"`x, y` are the {len(held_out.y)} held-out samples of load_data(\"test\"): this "
                     "lesson works on the training data, load_data() without an argument.")
        return None
    for name, value, shape in (("x", x, (1000, 20)), ("y", y, (1000,))):
        if not isinstance(value, np.ndarray):
            problems.add(f"`{name}` should be a NumPy array from load_data(); it is a {type(value).__name__}.")
        elif value.shape != shape:
            problems.add(f"`{name}` has shape {value.shape}; the reference pipeline's {'features' if name == 'x' else 'labels'} "
                         f"have shape {shape}.")
    if problems:
        return None
    if x.dtype != np.float32:
        problems.add(f"`x` has dtype {x.dtype}; load_data() gives float32 (what Keras computes in).")
    problems.expect(np.array_equal(x, expected.x) and np.array_equal(y, expected.y),
                    "`x, y` differ from course.load_data(): load them unchanged (no shuffling or scaling yet).")
    for row in rows or ():  # hidden test: single samples, as a later lesson will read them
        problems.expect(np.array_equal(x[row], expected.x[row]) and y[row] == expected.y[row],
                        f"sample {row} of `x, y` differs from load_data()'s sample {row}.")
    return "1000 samples, 20 features each."


def _shape(problems, n_samples, n_features, shape=None):
    for name, value in (("n_samples", n_samples), ("n_features", n_features)):
        if isinstance(value, tuple):
            problems.add(f"`{name}` is the whole shape {value}: x.shape is a pair, so unpack it "
                         "into the two names, rows first.")
        elif isinstance(value, str):
            problems.add(f"`{name}` is the text {value!r}, in quotes: write the number without "
                         "quotes (or read it from x.shape).")
        elif isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            problems.add(f"`{name}` should be a whole number (an int); it is {value!r}.")
    if problems:
        return None
    if (n_samples, n_features) == (20, 1000):
        problems.add("`n_samples` and `n_features` are swapped: x.shape is (rows, columns), "
                     "and each row is one sample.")
        return None
    if n_samples == 20000:
        problems.add("`n_samples` is 20000: x.size counts every value (1000 × 20); the number of "
                     "samples is the number of rows, x.shape[0].")
        return None
    problems.expect(n_samples == 1000, f"`n_samples` is {n_samples}; x has 1000 rows (samples).")
    problems.expect(n_features == 20, f"`n_features` is {n_features}; x has 20 columns (features).")
    if shape is not None and not problems:  # hidden test: the pair read as plain ints
        problems.expect((int(n_samples), int(n_features)) == tuple(shape),
                        f"`(n_samples, n_features)` should be {tuple(shape)}.")
    return None


def _balance(problems, positive_fraction, balance, data: Dataset | None = None,
             samples: int | None = None, seed: int | None = None):
    data = data or (generate(samples, seed=seed) if samples else load_data())
    got = call_student("Exercise 3 · Class balance", positive_fraction, data.y)
    expected = float(np.mean(data.y == 1))
    if got is None:
        problems.add("positive_fraction returned None: end the function with `return ...` "
                     "(a function without return gives None).")
        return None
    if callable(got):
        problems.add(f"positive_fraction returned {errors.describe(got).replace('the function', 'the method')} "
                     "itself, not its result: call it with (), e.g. labels.mean().")
        return None
    if isinstance(got, (bool, np.bool_)) or (isinstance(got, np.ndarray) and got.dtype == bool):
        problems.add(f"positive_fraction returns {bool(np.all(got))}: a comparison (such as `> 0.5`) "
                     "gives True/False, not the fraction. Return the fraction of 1s itself, a number "
                     "between 0 and 1, without comparing it.")
        return None
    if (isinstance(got, (int, np.integer)) and not isinstance(got, bool)
            and got == int(np.sum(data.y == 1)) and got > 1):
        problems.add(f"positive_fraction returns a count ({got} labels are 1); divide by the number "
                     "of labels for a fraction.")
        return None
    if isinstance(got, (int, np.integer)) and not isinstance(got, bool) and expected not in (0.0, 1.0):
        problems.add(_whole_number(positive_fraction, got))
        return None
    try:
        got = float(got)
    except (TypeError, ValueError):
        problems.add(f"positive_fraction(labels) should return one number; it returned {got!r}.")
        return None
    if abs(got - (1 - expected)) < 1e-6 and abs(expected - 0.5) > 1e-6:
        problems.add("positive_fraction returns the fraction of 0 labels; count the 1 labels.")
    elif np.isclose(got, expected * 100, rtol=1e-5):
        problems.add("positive_fraction returns a percentage (× 100); return the fraction, a number "
                     "between 0 and 1.")
    elif got != expected and any(abs(got - round(expected, digits)) < 1e-12 for digits in range(4)):
        problems.add(_rounded(positive_fraction, got, expected))
    elif abs(got - expected * len(data.y)) < 1e-6:
        problems.add("positive_fraction returns a count; divide by the number of labels for a fraction.")
    elif abs(got - expected) >= 1e-6 and _ignores_labels(positive_fraction, got, len(data.y)):
        problems.add(f"positive_fraction gives {got:.4f} whatever the labels (all 0s or all 1s alike): its "
                     "result does not depend on them. Compute it from the labels it is given, the "
                     "function's argument.")
    else:
        problems.expect(abs(got - expected) < 1e-6,
                        f"positive_fraction gives {got:.4f}; the fraction of labels equal to 1 is {expected:.4f}.")
    if not problems:
        _other_length(problems, positive_fraction, data.y)
    if not problems and callable(balance):
        problems.add("`balance` is the function itself: call it on the labels y and keep "
                     "the number it returns.")
    if not problems:
        problems.expect(isinstance(balance, (float, np.floating)) and abs(balance - float(np.mean(load_data().y))) < 1e-6,
                        "`balance` should be positive_fraction(y) for the course labels y.")
    return None


def _ignores_labels(positive_fraction, got: float, length: int) -> bool:
    """Whether positive_fraction gives ``got`` for all-0 and all-1 labels too (a probe that fails
    confirms nothing)."""
    try:
        answers = [call_student(q3.title, positive_fraction, np.full(length, value)) for value in (0, 1)]
        return all(float(answer) == got for answer in answers)
    except (CheckFailed, TypeError, ValueError):
        return False


def _whole_number(positive_fraction, got) -> str:
    """An int for a fraction: int() and // cut 2/3 to 0, round() makes it 1 (told apart on [1, 1, 0])."""
    try:
        third = call_student(q3.title, positive_fraction, np.asarray([1, 1, 0], dtype=np.float32))
    except (CheckFailed, TypeError, ValueError):  # a probe that fails confirms nothing
        third = None
    if not isinstance(third, (int, float, np.number)) or isinstance(third, bool):
        third = None
    if third == 0:
        cause = "int() (or //) cuts the fraction off"
    elif third == 1:
        cause = "round() turns the fraction into the nearest whole number"
    else:
        cause = "the fraction is lost"
    return f"positive_fraction returns the whole number {got}: {cause}; return the fraction as a float instead."


def _rounded(positive_fraction, got: float, expected: float) -> str:
    """A fraction that came out as a rounded number. Named as a median or as round() only when the
    function confirms it on small label sets: a median gives 0.5 for [0, 1] (round() gives 0),
    rounding to d digits gives round(2/3, d) for [1, 1, 0] and round(1/3, d) for [0, 0, 1]."""
    digits = next(d for d in range(4) if abs(got - round(expected, d)) < 1e-12)
    def probe(labels):
        try:
            return float(call_student(q3.title, positive_fraction, np.asarray(labels, dtype=np.float32)))
        except (CheckFailed, TypeError, ValueError):  # a probe that fails confirms nothing
            return None
    if got in (0.0, 1.0) and probe([0, 1]) == 0.5:
        return (f"positive_fraction returns {got}, the median of the labels: the median of 0/1 labels is "
                f"0, 0.5 or 1, not the fraction ({expected:.4f}). Use the mean (np.mean) instead.")
    probes = [(probe(labels), fraction) for labels, fraction in (([1, 1, 0], 2 / 3), ([0, 0, 1], 1 / 3))]
    if all(found is not None and abs(found - round(fraction, digits)) < 1e-6 for found, fraction in probes):
        return f"positive_fraction returns {got}, the fraction rounded: return it exactly, without round()."
    return (f"positive_fraction returns {got} where the fraction of labels equal to 1 is {expected:.4f}: "
            "return the mean of the labels as it is, without rounding it.")


def _other_length(problems, positive_fraction, labels: np.ndarray) -> None:
    """The function also works on fewer labels (a number written in it, such as 1000, would not)."""
    part = labels[: max(1, len(labels) // 4)]
    expected = float(np.mean(part == 1))
    got = call_student(q3.title, positive_fraction, part)
    try:
        got = float(got)
    except (TypeError, ValueError):
        problems.add(f"positive_fraction on {len(part)} labels returned {got!r}, not a number.")
        return
    if abs(got - expected) < 1e-6:
        return
    fixed = [n for n in (1000, len(labels)) if abs(got - float(np.sum(part == 1)) / n) < 1e-6]
    if abs(got - float(np.mean(labels == 1))) < 1e-6:
        cause = ("it returns the fraction for the notebook's y whatever it is given: use its parameter "
                 "`labels` inside the function, not y")
    elif fixed:
        cause = f"it divides by a fixed {fixed[0]}"
    else:
        cause = "it gives the right value only for the course's labels"
    problems.add(f"positive_fraction works for the {len(labels)} course labels but not for others: on the "
                 f"first {len(part)} labels it returns {got:.4f} where the fraction of 1s is {expected:.4f}; "
                 f"{cause}. Divide by the number of labels it is given, len(labels) (or use np.mean).")


#: The statistics beginners compute instead of each column's standard deviation, by what they are.
CONFUSED_STATISTICS = {
    "variances (the squared spread, np.var)": lambda x: x.var(axis=0),
    "each column's range (max - min, np.ptp)": lambda x: np.ptp(x, axis=0),
    "each column's mean": lambda x: x.mean(axis=0),
    "each column's median": lambda x: np.median(x, axis=0),
    "each column's largest value (max)": lambda x: x.max(axis=0),
}


def _ratio_cause(ratio: float, x: np.ndarray) -> str | None:
    """What a wrong scale_ratio was computed from, when the course data confirms it; else None."""
    if np.isclose(ratio, 1.0):
        return ("`scale_ratio` is 1: one spread divided by itself (the same of .max() or .min() twice). "
                "Divide the largest spread by the smallest, spread.max() / spread.min().")
    rows = x.std(axis=1)
    if np.isclose(ratio, rows.max() / rows.min(), rtol=1e-3):
        return ("`scale_ratio` compares the spreads of the samples (rows), not of the features: the "
                "spreads were taken along axis=1 or on x transposed (.T). Use feature_spread(x), one "
                "spread per column.")
    variances = x.var(axis=0)
    if np.isclose(ratio, variances.max() / variances.min(), rtol=1e-3):
        return ("`scale_ratio` compares variances (the squared spreads): use the standard deviations "
                "feature_spread gives.")
    return None


def _spread(problems, feature_spread, scale_ratio, data: Dataset | None = None,
            samples: int | None = None, seed: int | None = None):
    data = data or (generate(samples, seed=seed) if samples else load_data())
    got = call_student("Exercise 4 · Feature scales", feature_spread, data.x)
    if got is None:
        problems.add("feature_spread returned None: end the function with `return ...` "
                     "(a function without return gives None).")
        return None
    got = np.asarray(got, dtype=float)
    expected = data.x.std(axis=0)
    if got.shape != expected.shape:
        hint = {(): " (one value per column: use axis=0)",
                (data.x.shape[0],): (", but it gives one value per sample (row): the spread was taken "
                                     "along each row, with axis=1 or on the features transposed (.T). "
                                     "Take it down each column (axis=0) of features as given")}.get(got.shape, "")
        problems.add(f"feature_spread returns shape {got.shape}; expected one spread per feature, "
                     f"shape {expected.shape}{hint}.")
        return None
    confused = next((name for name, statistic in CONFUSED_STATISTICS.items()
                     if np.allclose(got, statistic(data.x), rtol=1e-3)), None)
    if confused:
        problems.add(f"feature_spread returns {confused}; the spread here is the standard deviation (np.std).")
    else:
        problems.expect(np.allclose(got, expected, rtol=1e-3)  # ddof=1 (sample std) is a standard deviation too
                        or np.allclose(got, data.x.std(axis=0, ddof=1), rtol=1e-3),
                        "feature_spread does not match each column's standard deviation (np.std(x, axis=0)).")
    if not problems:
        part = data.x[: max(2, len(data.x) // 2)] * 2  # other features: half the rows, twice the scale
        other = call_student(q4.title, feature_spread, part)
        if other is None or np.shape(other) != (part.shape[1],) or not np.allclose(
                np.asarray(other, dtype=float), part.std(axis=0), rtol=5e-3):
            problems.add(f"feature_spread works on the course's x but not on other features: given "
                         f"{len(part)} other rows it does not return their standard deviations. Use its "
                         "parameter `features` inside the function, not x.")
            return None
    course_spread = load_data().x.std(axis=0)
    expected_ratio = course_spread.max() / course_spread.min()
    if isinstance(scale_ratio, (float, int, np.number)):
        cause = _ratio_cause(float(scale_ratio), load_data().x)
        if cause:
            problems.add(cause)
            return None
    if isinstance(scale_ratio, (float, int, np.number)) and np.isclose(float(scale_ratio), 1 / expected_ratio, rtol=1e-2):
        problems.add("`scale_ratio` is the smallest spread divided by the largest, the other way "
                     "round: divide the largest by the smallest.")
        return None
    problems.expect(isinstance(scale_ratio, (float, int, np.number)) and
                    np.isclose(float(scale_ratio), expected_ratio, rtol=1e-2),
                    f"`scale_ratio` should be the largest spread divided by the smallest "
                    f"(about {expected_ratio:,.0f} for the course data).")
    return f"The widest feature is about {expected_ratio:,.0f} times wider than the narrowest."


q1 = Exercise(notebook, "Exercise 1 · Load the data", ["x", "y"], _load, [
    "course.load_data() returns the features and the labels together.",
    "load_data() returns a pair: unpack it into two names on the left of one assignment.",
])
q2 = Exercise(notebook, "Exercise 2 · Dataset shape", ["n_samples", "n_features"], _shape, [
    "Every NumPy array has a .shape attribute: (rows, columns).",
    "x.shape is a tuple of two ints; unpack it into the two names, rows first.",
])
q3 = Exercise(notebook, "Exercise 3 · Class balance", ["positive_fraction", "balance"], _balance, [
    "Labels are 0 or 1, so the mean of the labels is the fraction of 1s.",
    "np.mean of the labels is the fraction of 1s; wrap it in float(). Then call your function on y.",
], assign_help={"balance": "Call your function on the labels and keep the number: "
                           "`balance = positive_fraction(y)`."})
q4 = Exercise(notebook, "Exercise 4 · Feature scales", ["feature_spread", "scale_ratio"], _spread, [
    "The spread of a feature is its standard deviation; NumPy computes it per column with axis=0.",
    "np.std with axis=0 gives one value per column; scale_ratio is the .max() of those divided by their .min().",
])
