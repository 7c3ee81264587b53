"""Exercise objects in the style of Kaggle's learntools: ``check()`` and ``hint()``.

A lesson notebook binds its namespace once, then each visible test runs
``ex.q1.check()``. The check reads the student's variables by name, so a
missing answer is reported as "not attempted yet" instead of a ``NameError``,
and a wrong one lists every mismatch at once. Hidden tests call the same check
with other data given as literals (``ex.q3.check(samples=300, seed=11)``).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

from course import errors
from course.feedback import CHECK_ERROR, CheckFailed, Correct, NotAttempted, Problem, Problems

STUB_HELP = ("Replace `raise NotImplementedError()` in the answer cell above with your code, "
             "run that cell, then run this one again.")


class Notebook:
    """The namespace of the notebook a lesson's exercises read answers from."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] | None = None
        #: The lesson's exercises, in order (each registers itself).
        self.exercises: list["Exercise"] = []

    def bind(self, namespace: dict[str, Any], *, reseed_tensorflow: bool = True) -> None:
        """Read answers from ``namespace``; re-seed, so re-running the setup cell repeats every number
        (``import course`` seeds only once: Python caches the import). The grader's trusted process
        binds one submission's answers after another, and passes ``reseed_tensorflow=False``."""
        from course.runtime import seed_everything

        self.namespace = namespace
        seed_everything(tensorflow=reseed_tensorflow)

    def lookup(self, exercise: "Exercise | str", name: str) -> Any:
        """The student's value for ``name``, or the reason it is missing (told from what the
        exercise's other names and the exercises above it define)."""
        if self.namespace is None:
            raise RuntimeError("Run the notebook's first cell (it calls ex.bind(globals())) first.")
        if name in self.namespace:
            return self.namespace[name]
        if not isinstance(exercise, Exercise):
            raise missing_answer(exercise, name, self.namespace, lesson_names=self.answer_names())
        shared = {n for other in self.exercises if other is not exercise for n in other.names}
        above = self.exercises[:self.exercises.index(exercise)] if exercise in self.exercises else []
        raise missing_answer(
            exercise.title, name, self.namespace,
            # the exercise's own names that are defined: proof that its answer cell ran
            siblings=[n for n in exercise.names if n in self.namespace and n not in shared],
            lesson_names=self.answer_names(), assign_help=exercise.assign_help.get(name),
            earlier_names=[n for other in above for n in other.names] + list(exercise.optional))

    def answer_names(self) -> list[str]:
        """Every name the lesson's exercises read (their inputs too), in the order of the exercises."""
        return list(dict.fromkeys(name for exercise in self.exercises
                                  for name in (*exercise.names, *exercise.optional)))

    def show_stage(self, number: int, before: str, after: str | None = None) -> None:
        """Print the reference pipeline's picture of stage ``number`` from the notebook's variables, by name.

        If an exercise above is unfinished, say which variable is missing instead of failing.
        """
        from course.stage_picture import show_stage

        names = [before] + ([after] if after else [])
        if self.ready(*names, what=f"Stage {number}"):
            show_stage(number, *(self.namespace[name] for name in names))

    def ready(self, *names: str, what: str = "This output") -> bool:
        """True when every name is defined; otherwise print which exercise to finish first."""
        missing = [name for name in names if name not in (self.namespace or {})]
        if missing:
            print(f"({what} appears here once `{'`, `'.join(missing)}` is defined: "
                  "finish the exercise above.)")
        return not missing


def missing_answer(exercise: str, name: str, namespace: dict[str, Any] | None = None,
                   siblings: Sequence[str] = (), lesson_names: Sequence[str] = (),
                   assign_help: str | None = None, earlier_names: Sequence[str] = ()) -> CheckFailed:
    """Tell "not started" from "started, but misnamed", "started, but a name is missing" and
    "started, but the answer cell failed".

    ``siblings`` are the exercise's other names that *are* defined: then the student wrote code,
    and it is never "not attempted" unless the cell stopped at a name an exercise above defines
    (``earlier_names``: a blank notebook's cell that uses an unfinished exercise's answer)."""
    error = errors.recent_error()
    if isinstance(error, NotImplementedError):
        return NotAttempted(exercise, f"`{name}` is not defined yet. {STUB_HELP}")
    error = errors.answer_error()
    near = near_name(name, namespace) if error is None else None
    if near:
        return CheckFailed(exercise, [f"`{name}` is not defined, but `{near}` is: the check reads "
                                      f"the name `{name}`, so rename `{near}` to `{name}` in the "
                                      "answer cell and run it again."])
    if error is None and siblings:
        defined = "`, `".join(siblings)
        return CheckFailed(exercise, [f"`{name}` is not defined, though `{defined}` is: the answer cell "
                                      f"ran but never assigned `{name}`. "
                                      + (assign_help or f"Assign it in the answer cell, `{name} = ...`, "
                                                        "and run the cell again.")])
    if error is None:
        return NotAttempted(exercise, f"`{name}` is not defined yet. {STUB_HELP} (The answer cell "
                                      f"must assign it: `{name} = ...`.)")
    if isinstance(error, NameError) and "needs quotes" not in (errors.advice(error) or ""):
        missing = str(error).split("'")[1] if "'" in str(error) else ""
        compared = errors.compared_instead_of_assigned(error)
        if compared:
            return CheckFailed(exercise, [f"`{name}` is not defined: the answer cell compares "
                                          f"`{compared}` with == (is it equal?) instead of assigning it. "
                                          f"Write one =, `{compared} = ...`, and run the cell again.\n"
                                          f"     (Python said: {errors.original(error)})"])
        near = near_name(missing, namespace)
        if near:
            return CheckFailed(exercise, [f"`{name}` is not defined: the answer cell stopped at "
                                          f"\"{error}\" — did you mean `{near}`?"])
        if siblings and missing not in earlier_names:
            known = [n for n in lesson_names if namespace and n in namespace and n not in siblings]
            names = f" (this notebook defines {', '.join(f'`{n}`' for n in known[-4:])})" if known else ""
            return CheckFailed(exercise, [f"`{name}` is not defined: the answer cell stopped because "
                                          f"`{missing}` is not defined "
                                          + ("yet: an exercise below defines it" if missing in lesson_names
                                             else f"in this notebook{names}") + ". Use the "
                                          "name of the data this step takes, as the exercise says.\n"
                                          f"     (Python said: {errors.original(error)})"])
        # Usually an unfinished exercise above (a blank notebook under nbgrader lands here).
        return NotAttempted(exercise, f"`{name}` is not defined yet: the cell stopped because "
                                      f"`{missing}` is not defined. If an exercise above defines it, "
                                      "finish that one first; otherwise check the spelling.\n"
                                      f"     (Python said: {errors.original(error)})")
    return CheckFailed(exercise, [f"`{name}` is not defined: the answer cell above stopped with an "
                                  f"error before defining it. {errors.sentence(errors.explain(error))}"])


#: Names every notebook has that are never a student's answer.
_NOT_ANSWERS = {"In", "Out", "get_ipython", "exit", "quit", "open", "ex", "np", "keras", "course",
                "plt", "display"}


def near_name(name: str, namespace: dict[str, Any] | None) -> str | None:
    """A name in the notebook that looks like a misspelling of ``name`` (advice only, no verdict)."""
    import difflib
    import types

    if not namespace or not name:
        return None
    candidates = []
    for other in namespace:
        if not isinstance(other, str) or other == name or other.startswith("_") or other in _NOT_ANSWERS:
            continue
        lower, wanted = other.lower(), name.lower()
        if lower[-1:].isdigit() and wanted[-1:].isdigit() and lower[-1] != wanted[-1]:
            continue  # `hidden_1` is another stage, not a misspelt `hidden_2`
        close = difflib.SequenceMatcher(None, lower, wanted).ratio()
        related = (lower == wanted or close >= 0.85
                   or (min(len(lower), len(wanted)) >= 3 and (lower.startswith(wanted) or wanted.startswith(lower)
                                                               or lower.endswith(wanted) or wanted.endswith(lower))))
        if not related:
            continue
        value = namespace[other]  # read only for a look-alike name (the grader rebuilds what it reads)
        if isinstance(value, types.ModuleType):
            continue
        if len(other) > len(name) and name in other and isinstance(value, types.FunctionType):
            continue  # `make_normalizer` is not a misspelt `normalizer`
        candidates.append((close, other))
    return max(candidates)[1] if candidates else None


def call_student(exercise: str, function: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call a function the student wrote; turn its errors into feedback."""
    if not callable(function):
        raise CheckFailed(exercise, [f"expected a function, got {type(function).__name__}"])
    import warnings

    try:
        with warnings.catch_warnings():  # e.g. Keras's input_shape deprecation: never on a test cell's stderr
            warnings.simplefilter("ignore")
            return function(*args, **kwargs)
    except NotImplementedError:
        raise NotAttempted(exercise, f"`{function.__name__}` still raises NotImplementedError. "
                                     f"{STUB_HELP}") from None
    except CheckFailed:
        raise
    except Exception as error:  # noqa: BLE001 - the student's code failed: explain it, don't crash the check
        raise CheckFailed(exercise, [f"calling `{function.__name__}` failed: "
                                     f"{errors.explain(error)}"]) from None


Checker = Callable[..., "str | None"]


class Hint(str):
    """The hint's text; a notebook shows it once (printed), not again as the cell's value."""

    def _ipython_display_(self) -> None:
        pass


_PENDING: list[str] = []
_COLLECTING: list[list[str]] = []


@contextmanager
def verdicts_held() -> Iterator[list[str]]:
    """Inside, ✔ lines are neither printed nor deferred but kept in the yielded list, in order: a
    grader running checks outside a notebook shows them itself (only the first, as a notebook does)."""
    held: list[str] = []
    _COLLECTING.append(held)
    try:
        yield held
    finally:
        _COLLECTING.remove(held)


def defer_verdict(line: str | Correct) -> bool:
    """In a notebook, hold a ✔ line until the cell ends: it is shown only if no later check in the
    same cell failed, and only the first one. Outside IPython, return False (print it now)."""
    text = line.render() if isinstance(line, Correct) else line
    if _COLLECTING:
        _COLLECTING[-1].append(text)
        return True
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "events"):
        return False
    if _show_pending not in shell.events.callbacks.get("post_run_cell", []):
        shell.events.register("post_run_cell", _show_pending)
    _PENDING.append(text)
    return True


def _show_pending(result: Any = None) -> None:
    lines, _PENDING[:] = list(_PENDING), []
    failed = result is not None and (getattr(result, "error_in_exec", None) is not None
                                     or getattr(result, "error_before_exec", None) is not None)
    if lines and not failed:
        print(lines[0])


class Exercise:
    """One graded step: the names it defines, its check, and tiered hints."""

    def __init__(self, notebook: Notebook, title: str, names: Sequence[str],
                 checker: Checker, hints: Sequence[str], verdict: str = "correct",
                 optional: Sequence[str] = (), assign_help: dict[str, str] | None = None):
        self.notebook = notebook
        notebook.exercises.append(self)
        self.title = title
        self.names = tuple(names)
        #: Names the check uses when they are defined (e.g. the History trained above).
        self.optional = tuple(optional)
        self.checker = checker
        #: How to assign a name the answer cell left undefined while defining the others.
        self.assign_help = dict(assign_help or {})
        self.hints = tuple(hints)
        self.verdict = verdict

    def answers(self) -> dict[str, Any]:
        namespace = self.notebook.namespace or {}
        values = {name: self.notebook.lookup(self, name) for name in self.names}
        values.update({name: namespace[name] for name in self.optional if name in namespace})
        return values

    def check(self, **inputs: Any) -> None:
        """Print ✔ when the answer is right (once per cell); raise with every problem when not."""
        values = self.answers()
        problems = Problems(self.title)
        try:
            detail = self.checker(problems, **values, **inputs)
        except CheckFailed:
            raise
        except Exception as error:  # noqa: BLE001 - an answer the check did not foresee: a message, never a traceback
            problems.add(Problem(f"the check could not use your answer: {errors.explain(error)}", CHECK_ERROR))
            detail = None
        problems.raise_if_any()
        verdict = Correct(self.title, self.verdict, detail or "")
        if not defer_verdict(verdict):
            print(verdict.render())

    def hint(self, level: int = 1) -> "Hint":
        """Print hint ``level`` (1 = gentle nudge, higher = more specific)."""
        if not self.hints:
            text = "No hints for this one."
        elif level < 1 or level > len(self.hints):
            text = (f"Hints go from 1 to {len(self.hints)}; "
                    f"hint({len(self.hints)}) is the most specific.")
        else:
            more = f"  (more: hint({level + 1}))" if level < len(self.hints) else ""
            text = f"Hint {level}/{len(self.hints)}: {self.hints[level - 1]}{more}"
        print(text)
        return Hint(text)

    def __repr__(self) -> str:
        return f"<Exercise {self.title!r}: define {', '.join(self.names)}; .check(), .hint()>"
