"""Translate errors a student's code raises into the student's terms.

Keras and NumPy errors are precise but speak of tensors, ops and axes. ``explain``
says what to change in the lesson's terms first, then keeps the original error
below it (whole sentences, never cut mid-word) for the curious.
"""
from __future__ import annotations

import ast
import difflib
import os
import re
import sys
import time
import tomllib
from pathlib import Path
from typing import Any, Callable, Iterable

from course.failing_code import (
    calls_with_one_argument,
    failing_line,
    failing_statement,
    line_values,
    raised_in_library,
)

#: Names Keras takes as strings; written without quotes they raise NameError.
KERAS_STRINGS = ("relu", "sigmoid", "softmax", "tanh", "linear", "elu", "selu", "gelu", "swish",
                 "accuracy", "acc", "adam", "sgd", "rmsprop", "binary_crossentropy",
                 "categorical_crossentropy", "mse", "mae")
#: Keywords of the calls this course makes, for "did you mean" on a misspelled keyword.
KEYWORDS = ("epochs", "batch_size", "verbose", "validation_split", "validation_data", "shuffle",
            "activation", "units", "shape", "optimizer", "loss", "metrics", "inputs", "outputs",
            "axis", "from_logits", "input_shape")
ORIGINAL_LIMIT = 600
#: Terminal colour codes Keras puts in some messages (bold names): never shown to a student.
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def last_error() -> BaseException | None:
    """The error of the last notebook cell that failed, if any (IPython keeps it in sys.last_value)."""
    return getattr(sys, "last_value", None)


def _close(word: str, choices: Iterable[str], cutoff: float = 0.75) -> str | None:
    choices = list(choices)
    lowered = {choice.lower(): choice for choice in choices}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return lowered[word.lower()]
    match = difflib.get_close_matches(word, choices, n=1, cutoff=cutoff)
    return match[0] if match else None


def _activation(match: re.Match, error: BaseException) -> str:
    name = match.group(1)
    known = _close(name, ("relu", "sigmoid", "softmax", "tanh", "linear"), cutoff=0.6)
    if known and known == name.lower():
        return (f"activation names are lowercase strings: activation='{known}', not '{name}'.")
    if known:
        return f"'{name}' is not an activation Keras knows: did you mean activation='{known}'?"
    return f"'{name}' is not an activation Keras knows: this course uses 'relu' and 'sigmoid'."


def _name_error(match: re.Match, error: BaseException) -> str:
    name = match.group(1)
    if name.lower() in KERAS_STRINGS or name in "ABCDE":
        example = f"'{name.lower()}'" if len(name) > 1 else f'"{name}"'
        return (f"`{name}` needs quotes: Keras names (and quiz letters) are strings, so write "
                f"{example}, not {name}.")
    return (f"`{name}` is not defined when that line runs: check its spelling, or run the cell "
            "that defines it first.")


def _missing_module_attribute(match: re.Match, error: BaseException) -> str:
    module, attribute = match.group(1), match.group(2)
    found = sys.modules.get(module)
    near = _close(attribute, [n for n in dir(found) if not n.startswith("_")]) if found else None
    short = module.replace("keras.src.", "keras.").replace("keras.api.", "keras.")
    if near:
        return (f"`{short}.{attribute}` does not exist: names are case-sensitive, write "
                f"`{short}.{near}`.")
    return f"`{short}` has no `{attribute}`: check the spelling against the lesson."


def _missing_attribute(match: re.Match, error: BaseException) -> str:
    kind, attribute = match.group(1), match.group(2)
    if kind == "Normalization" and attribute in ("fit", "train", "learn"):
        return ("a Normalization layer learns its means and variances with .adapt(data), "
                f"not .{attribute}(...).")
    if kind in ("Dense", "Normalization") and attribute in ("predict", "fit", "forward", "apply", "transform"):
        return ("a layer is called like a function on the data, layer(data); .predict and .fit "
                "belong to models.")
    if kind == "NoneType":
        return ("a value is None where an object was expected: a function without `return` "
                "(or a method that returns nothing, like adapt() or compile()) gives None.")
    obj = getattr(error, "obj", None)
    near = _close(attribute, [n for n in dir(obj) if not n.startswith("_")]) if obj is not None else None
    if near:
        return f"a {kind} has no `.{attribute}`: did you mean `.{near}`?"
    return f"a {kind} has no `.{attribute}`."


def _identifier(match: re.Match, error: BaseException) -> str:
    what, identifier = match.group(1), match.group(2)
    if identifier.startswith("<class"):
        name = identifier.split("'")[1].split(".")[-1] if "'" in identifier else identifier
        return (f"{what}= was given the class {name} itself: create one with parentheses, "
                f"{name}(), or give the {what}'s name as a string.")
    known = {"optimizer": ("adam", "sgd", "rmsprop"), "loss": ("binary_crossentropy",),
             "metric": ("accuracy",)}.get(what, ())
    near = _close(identifier, known, cutoff=0.6)
    hint = f" did you mean '{near}'?" if near else ""
    return f"Keras does not know the {what} '{identifier}':{hint or ' check its spelling against the lesson.'}"


def _keyword(match: re.Match, error: BaseException) -> str:
    function, keyword = match.group(1), match.group(2)
    near = _close(keyword, KEYWORDS, cutoff=0.6)
    where = function.split(".")[-1]
    if near:
        return f"`{keyword}=` is not a keyword of {where}(): did you mean `{near}=`?"
    return f"{where}() has no keyword `{keyword}=`: check the spelling against the lesson."


def _axis(match: re.Match, error: BaseException) -> str:
    axis, dims = int(match.group(1)), int(match.group(2))
    words = {1: "one axis", 2: "two axes"}.get(dims, f"{dims} axes")
    return (f"the array has {words}, so axis={axis} does not exist: the labels have one axis "
            "(one number per sample) and x has two (rows = samples, columns = features).")


def _with_values(error: BaseException) -> str:
    """" (epochs = range(2, 6))" for the failing line's names that held a range or a whole number."""
    values = {name: shown for name, shown in line_values(error).items()
              if re.fullmatch(r"range\(.*\)|-?\d+", shown)}
    return f" ({', '.join(f'{name} = {shown}' for name, shown in values.items())})" if values else ""


def compared_instead_of_assigned(error: BaseException) -> str | None:
    """The name a NameError's statement compares with == as if assigning it (``n_samples == 5``);
    None when the statement is anything else (read with ast)."""
    if not isinstance(error, NameError):
        return None
    missing = str(error).split("'")[1] if str(error).count("'") >= 2 else ""
    try:
        tree = ast.parse(failing_statement(error))
    except SyntaxError:
        return None
    for node in tree.body:
        value = node.value if isinstance(node, ast.Expr) else None
        # `a == ...`, or `a, b == ...`, which Python reads as the pair (a, b == ...)
        *before, last = value.elts if isinstance(value, ast.Tuple) and value.elts else [value]
        if not (isinstance(last, ast.Compare) and isinstance(last.ops[0], ast.Eq)):
            continue
        left = last.left.elts if isinstance(last.left, ast.Tuple) else [last.left]  # (a, b) == ...
        if all(isinstance(n, ast.Name) for n in [*before, *left]):
            names = [n.id for n in [*before, *left]]
            if missing in names:
                return ", ".join(names)
    return None


def _unpack(match: re.Match, error: BaseException) -> str:
    """Names on the left, values on the right: a .shape is named only when the line unpacks one."""
    expected, got = match.group(1), match.group(2)
    gives = f"gives {got} value(s) for {expected} names" if got else f"gives more values than the {expected} names"
    line = failing_line(error)
    if ".shape" in line:
        return (f"the right-hand side {gives}: an array's .shape has one number per axis, x.shape is "
                "(1000, 20) and y.shape is (1000,).")
    where = _in_line(error)
    if got == "1" and calls_with_one_argument(failing_statement(error), "zip"):
        return (f"zip() is missing a second list{where}: given one, each item it gives holds one value, "
                f"not {expected}. zip(a, b) pairs each value of a with the value of b at the same place.")
    return (f"the right-hand side {gives}{where}: write one name on the left for each value it gives "
            "(in a loop, for each value an item of the loop holds).")


def _in_line(error: BaseException) -> str:
    """" in `the student's line`" when it is short enough to quote, else ""."""
    line = failing_line(error)
    return f" in `{line}`" if line and len(line) <= 80 else ""


#: What an argument a call misses holds, where its name alone says little.
ARGUMENT_ROLES = {"a": "the array", "inputs": "the data to pass through it", "data": "the data",
                  "units": "the number of units", "features": "the features", "x": "the features"}


def _called(match_name: str | None, error: BaseException) -> str:
    """The call that misses an argument, as the student wrote it: an empty call on the failing line
    (``np.asarray()``), else the function Python names (``Dense.__init__`` reads ``Dense``)."""
    empty = re.findall(r"([A-Za-z_][\w.]*)\(\)", failing_line(error))
    if empty:
        return empty[-1]
    name = (match_name or "").removesuffix(".__init__").removesuffix(".__call__")
    return name or "this call"


def _missing_argument(match: re.Match, error: BaseException) -> str:
    argument = match.group(2) or match.group(3)
    role = ARGUMENT_ROLES.get(argument)
    what = f"`{argument}` ({role})" if role else f"`{argument}`"
    return (f"{_called(match.group(1), error)}() is missing its argument {what}{_in_line(error)}: "
            "put it inside the parentheses, as in the lesson's example.")


def _no_argument(match: re.Match, error: BaseException) -> str:
    function, count = match.group(1), match.group(2)
    return (f"{_called(function, error)}() is missing its argument{_in_line(error)}: it takes {count}, "
            "the value to work on, inside the parentheses.")


def _invalid_keyword(match: re.Match, error: BaseException) -> str:
    keyword, function = match.group(1), match.group(2)
    if function == "enumerate":
        return (f"enumerate() is missing what to number{_in_line(error)}: its first argument is the "
                "sequence to count, then start=: enumerate(items, start=1).")
    return f"{function}() takes no `{keyword}=`{_in_line(error)}: check the call against the lesson's example."


def _none_value(match: re.Match, error: BaseException) -> str:
    line = failing_line(error)
    if ".fit(" in line:
        return (f"model.fit() was given no labels{_in_line(error)}: it learns from the features and "
                "the labels together, model.fit(x_normalized, y, epochs=..., batch_size=...).")
    return (f"a value passed to Keras is None{_in_line(error)}: a function with no return statement "
            "gives None, and so does a method that changes its object in place (such as .adapt()); "
            "pass the value itself.")


def _unbound_local(match: re.Match, error: BaseException) -> str:
    name = match.group(1)
    if raised_in_library(error):
        return (f"Keras or NumPy stopped inside its own code{_in_line(error)}, which usually means what "
                "this line gives it is empty or not what it expects: check the shape of each array it "
                "passes (a slice such as x[i:i] holds no samples).")
    return (f"`{name}` is used before anything was assigned to it{_in_line(error)}: it is set only "
            "inside a loop or an if that did not run that far here; check the loop's range or the "
            "condition that should set it.")


def _no_samples(match: re.Match, error: BaseException) -> str:
    return (f"predict() was given no samples{_in_line(error)}: a slice whose end is not after its start "
            "(x[i:i], x[i:i - 1]) holds none. One sample, kept 2-D, is x[index:index + 1].")


def _not_compiled(match: re.Match, error: BaseException) -> str:
    if ".evaluate(" in failing_line(error):
        return ("model.evaluate() scores a compiled model against labels and gives the loss, not the "
                f"outputs{_in_line(error)}: to get a model's outputs for samples, use .predict(samples).")
    return ("the model has not been compiled: call model.compile(optimizer=..., loss=..., "
            "metrics=[...]) before fit() or evaluate().")


def _unrecognized_keyword(match: re.Match, error: BaseException) -> str:
    owner, keyword = match.group(1), match.group(2)
    if owner in ("Model", "Functional") and keyword in ("inputs", "outputs"):
        other = "outputs" if keyword == "inputs" else "inputs"
        return (f"keras.Model(...) needs both inputs= and outputs=; only {keyword}= was given, so "
                f"Keras could not place it: add {other}=.")
    return (f"a {owner} takes no `{keyword}=`: check that this is the layer the exercise asks for "
            f"({keyword}= belongs to another kind of layer).")


#: What draws a matplotlib artist that has no such option, and what it draws.
ARTISTS = {"Rectangle": ("bar()", "bars"), "PathCollection": ("scatter()", "separate points"),
           "Line2D": ("plot()", "lines")}


def _artist_option(match: re.Match, error: BaseException) -> str:
    artist, keyword = match.group(1), match.group(2)
    method, shapes = ARTISTS.get(artist, (f"the call making a {artist}", "shapes"))
    return (f"{method} draws {shapes}, which have no `{keyword}=` option{_in_line(error)}: the curves "
            "are lines, drawn with .plot(epochs, values, marker='o').")


def _plot_lengths(match: re.Match, error: BaseException) -> str:
    counts = (f" ({match.group(1)} x values, {match.group(2)} y values)" if match.group(1) else "")
    return (f"the x values and the y values of a plot have different lengths{counts}{_in_line(error)}"
            f"{_with_values(error)}: "
            "take as many epoch numbers as the History holds values (not a fixed number of epochs), "
            "starting at 1.")


def _unpack_number(match: re.Match, error: BaseException) -> str:
    """One number on the right of ``a, b = ...``: .size (a count) is named when the line reads it."""
    line = failing_line(error)
    if ".size" in line:
        return (f"x.size is one number, how many values the whole array holds{_in_line(error)}: "
                "x.shape gives the (rows, columns) pair to unpack into two names.")
    return (f"the right-hand side is a single number{_in_line(error)}, which cannot be unpacked into "
            "several names: write one name on the left, or unpack something that holds several "
            "values, such as x.shape.")


def _missing_key(match: re.Match, error: BaseException) -> str:
    key = match.group(1)
    return (f"there is no key '{key}' in the dictionary read{_in_line(error)}: history.history has one "
            "key per number fit() recorded, the loss and the metrics given to compile(), here 'loss' "
            "and 'accuracy'.")


def _validation_key(match: re.Match, error: BaseException) -> str:
    return (f"there is no '{match.group(1)}' key: fit() was not given validation data, so it recorded "
            "no validation numbers. Read history.history['loss'] and history.history['accuracy'].")


def _subplot_grid(match: re.Match, error: BaseException) -> str:
    return (f"plt.subplots(rows, columns) needs at least one row and one column{_in_line(error)}: for "
            "two plots side by side, plt.subplots(1, 2).")


def _list_minus(match: re.Match, error: BaseException) -> str:
    return (f"lists cannot be subtracted with -{_in_line(error)}: + joins two lists into one, "
            "[first] + [others].")


def _index_range(match: re.Match, error: BaseException) -> str:
    index, axis, size = match.group(1), match.group(2), int(match.group(3))
    last = f"the last is {size - 1}" if size > 1 else "the only one is 0"
    return (f"index {index} does not exist{_in_line(error)}: along axis {axis} the array holds {size} "
            f"item{'s' if size != 1 else ''}, counted from 0, so {last}.")


def _reshape_size(match: re.Match, error: BaseException) -> str:
    size, shape = match.group(1), match.group(2)
    return (f"an array of {size} values cannot take the shape {shape}{_in_line(error)}: the sizes of a "
            "shape multiply to the number of values; reshape(-1) makes one flat row of all of them.")


def _layer_input_size(match: re.Match, error: BaseException) -> str:
    built, received = match.group(1), match.group(2)
    return (f"this layer was first called on data with {built} values per sample and now receives "
            f"{received}: a layer fixes its input size on its first call. Each stage needs a new layer "
            "object of its own: call the one made for this stage, or, if this one was called before on "
            "other data, run the cell that creates it again.")


def _incompatible_shapes(match: re.Match, error: BaseException) -> str:
    a, b, c = match.group(1), match.group(2), match.group(3)
    if a == c:
        return (f"the data is transposed: it has shape ({a}, {b}) but each row must be one sample "
                f"with its {c} features; use x as loaded, not x.T.")
    return f"two arrays of shapes ({a}, {b}) and (…, {c}) cannot be combined: check which data is passed."


def _expected_shape(match: re.Match, error: BaseException) -> str:
    received = match.group(2)
    if received.startswith("None"):
        return ("the model received one number per sample where it expects 20 features: "
                "model.fit(x, y) takes the features first, then the labels.")
    return ("a single sample has lost its batch axis: Keras layers and models take a batch of "
            "samples, so keep the batch axis with x[index:index + 1] (or x[None]), not x[index].")


def _ndim(match: re.Match, error: BaseException) -> str:
    return ("a single sample has lost its batch axis: Keras layers take a batch of samples "
            "(rows), so keep it 2-D with x[0:1] or x[None] — or pass the whole array.")


# ---------------------------------------------------------------- a cell stopped before it finished

#: A cell that stopped this many seconds short of the per-cell limit was still stopped by it: the
#: grader's clock starts when it sends the cell, the kernel's a moment later, when the cell starts.
LIMIT_MARGIN = 2.0
#: Set by nbgrader (and autograder) in the kernels it runs notebooks in: "autograde" or "validate".
GRADER_VARIABLE = "NBGRADER_EXECUTION"


def cell_limit(start: Path | None = None) -> float | None:
    """Seconds one cell may run when graded: nbgrader's ``c.Execute.timeout`` in the course's config
    (:mod:`course.settings`), or None when none is set (or it is not a positive number)."""
    from course import settings

    value = settings.setting("Execute.timeout", start)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
        return None
    return float(value)


def applied_limit() -> float | None:
    """The per-cell limit when nbgrader or autograder runs this notebook (autograde, Validate,
    ``autograder check``); None in the student's own session, where no time limit stops a cell."""
    return cell_limit() if os.environ.get(GRADER_VARIABLE) else None


def interruption(seconds: float | None, limit: float | None, cell: str = "this cell") -> str:
    """Why a cell stopped with KeyboardInterrupt: the per-cell time limit when it ran (``seconds``)
    about as long as ``limit``, else an interrupt by hand. States the configured limit, never a time
    measured: a graded notebook reads the same from one run to the next."""
    if seconds is not None and limit is not None and seconds >= limit - LIMIT_MARGIN:
        return (f"{cell} ran longer than the {limit:g} s limit for one cell and was stopped: look for a "
                "loop whose condition never turns false, or training with far more epochs or data than "
                "the exercise asks. Fix it, then run the cell again.")
    return (f"{cell} was interrupted (the ■ stop button, or Kernel → Interrupt) before it finished: "
            "run it again to define what it should.")


def _interrupted(match: re.Match, error: BaseException) -> str:
    return interruption(*cell_timing(error), cell="that cell")


def _known_errors() -> list[tuple[str, str, str | Callable[[re.Match, BaseException], str]]]:
    """The table in known_errors.toml: (exception type name, pattern in its message, advice),
    the advice being a sentence or, for ``explain = "name"``, the function ``_name`` here."""
    with open(Path(__file__).with_name("known_errors.toml"), "rb") as file:
        rows = tomllib.load(file)["error"]
    return [(row["type"], row["pattern"], globals()["_" + row["explain"]] if "explain" in row else row["advice"])
            for row in rows]


#: The errors the course recognises, first match wins.
KNOWN_ERRORS = _known_errors()


def original(error: BaseException) -> str:
    """The error as Python reported it, cut at a line boundary (Keras's argument dumps dropped)."""
    text = ANSI.sub("", str(error)).split("\n\nArguments received by")[0].strip()
    if len(text) > ORIGINAL_LIMIT:
        text = text[:ORIGINAL_LIMIT].rsplit("\n", 1)[0].rstrip() + " …"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__  # KeyboardInterrupt has no text


def advice(error: BaseException) -> str | None:
    """What to change, in the student's terms, for an error the course recognises; else None."""
    kind, text = type(error).__name__, str(error)
    for known_kind, pattern, explanation in KNOWN_ERRORS:
        match = re.search(pattern, text)
        if re.fullmatch(known_kind, kind) and match:
            return explanation(match, error) if callable(explanation) else explanation
    return None


def explain(error: BaseException) -> str:
    """What went wrong and what to change, with the original error below it."""
    said = original(error).replace("\n", "\n      ")
    found = advice(error)
    if found:
        return f"{found}\n     (Python said: {said})"
    return f"your code raised {said}"


def sentence(text: str) -> str:
    """``text`` as the start of a sentence: its first letter capitalised (a relayed explanation
    follows a full stop). Text starting with code (`name`, 'string') is left as it is."""
    return text[:1].upper() + text[1:] if text[:1].isalpha() else text


def describe(value: Any) -> str:
    """A short name for the kind of ``value``, as a student would say it."""
    if value is None:
        return "None"
    if callable(value) and type(value).__name__ in ("function", "builtin_function_or_method", "method"):
        return f"the function `{getattr(value, '__name__', '?')}`"
    return f"a {type(value).__name__}"


# ---------------------------------------------------------------- which cell failed, and how long it ran

#: What the kernel knows of its cells: ``error`` and ``last_value`` (the error, or None, of the cell
#: that ran last, and ``sys.last_value`` then), ``started`` (``time.monotonic()`` when the running
#: cell started), ``seconds`` (how long the last cell ran) and ``limit`` (the per-cell limit in force
#: when it stopped with KeyboardInterrupt). Kept by the hooks :func:`watch_cells` registers (in a
#: grader's process, by :func:`remember_cell`).
_previous_cell: dict[str, Any] = {}


def _start(info: Any = None) -> None:
    """IPython pre_run_cell hook: note when the cell starts, to know how long a failed cell ran."""
    _previous_cell["started"] = time.monotonic()


def _remember(result: Any = None) -> None:
    """IPython post_run_cell hook: keep the error (or None) of the cell that just ran, and how long it ran."""
    _previous_cell["error"] = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
    _previous_cell["last_value"] = last_error()
    started = _previous_cell.get("started")
    _previous_cell["seconds"] = time.monotonic() - started if started is not None else None
    _previous_cell["limit"] = applied_limit() if isinstance(_previous_cell["error"], KeyboardInterrupt) else None


def _show_interrupted(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None) -> None:
    """IPython's handler for a KeyboardInterrupt in a cell: the usual traceback (still an error output
    named KeyboardInterrupt, nothing written to stdout or stderr), ending with why the cell stopped."""
    try:
        started = _previous_cell.get("started")
        seconds = time.monotonic() - started if started is not None else None
        note = sentence(interruption(seconds, applied_limit()))
        if note not in getattr(value, "__notes__", ()):
            value.add_note(note)  # IPython's traceback prints an exception's notes below it
    except Exception:  # noqa: BLE001 - the traceback is shown all the same
        pass
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)


def watch_cells() -> None:
    """In a notebook, start remembering whether each cell failed and how long it ran, and say why a
    cell stopped with KeyboardInterrupt (once per kernel)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "events") or not hasattr(shell, "kernel"):
        return  # only a notebook kernel runs answer and test cells one after another
    if _start not in shell.events.callbacks.get("pre_run_cell", []):
        shell.events.register("pre_run_cell", _start)
    if _remember not in shell.events.callbacks.get("post_run_cell", []):
        shell.events.register("post_run_cell", _remember)
    if not getattr(shell, "custom_exceptions", True):  # never replace another library's handler
        shell.set_custom_exc((KeyboardInterrupt,), _show_interrupted)
    _previous_cell.setdefault("error", None)
    _previous_cell.setdefault("last_value", last_error())


def _number(value: Any) -> float | None:
    valid = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < float("inf")
    return float(value) if valid else None


def remember_cell(error: BaseException | None, seconds: Any = None, limit: Any = None) -> None:
    """Outside the kernel (a grader's trusted checks, given what the kernel exported): the cell
    before the test cell stopped with ``error`` after ``seconds``, under the per-cell ``limit``."""
    _previous_cell.update(error=error, last_value=error, seconds=_number(seconds), limit=_number(limit))


def cell_timing(error: BaseException | None) -> tuple[float | None, float | None]:
    """``(seconds, limit)``: how long the cell that stopped with ``error`` ran, and the per-cell limit
    then in force (for a KeyboardInterrupt), when it is the last cell the kernel timed; else Nones."""
    if error is None or error is not _previous_cell.get("error"):
        return None, None
    return _previous_cell.get("seconds"), _previous_cell.get("limit")


def recent_error() -> BaseException | None:
    """The error of the cell that ran just before this one (the answer cell above a test cell).

    In a notebook this ignores older failures the student has since fixed; elsewhere (a
    trusted grader given the kernel's last error) it is ``sys.last_value``, as it is when
    ``sys.last_value`` was set after the last cell ran."""
    if last_error() is None:  # a failed cell always sets it: no cell has failed
        return None
    if "error" in _previous_cell and last_error() is _previous_cell.get("last_value"):
        return _previous_cell["error"]
    return last_error()


def answer_error() -> BaseException | None:
    """``recent_error()`` unless it is a failed check or an unfinished stub."""
    error = recent_error()
    if error is None or isinstance(error, (AssertionError, NotImplementedError)):
        return None
    return error


watch_cells()
