"""What a student sees when a check runs: one short, readable verdict.

Every check ends in one of three outcomes, as Kaggle learntools' ``richtext`` outcomes do:
:class:`Correct` (the ✔ line), :class:`CheckFailed` (an ``AssertionError``, so nbgrader scores
the test cell 0) listing *every* mismatch, numbered, or :class:`NotAttempted` (the exercise is not
started yet). A check the grader cannot score (instructor material missing, e.g. the quiz's answer
key) raises :class:`NotGraded`, which is no verdict. Failures render as a few plain lines instead of
a Python traceback, through IPython's ``_render_traceback_`` hook, and keep their problems as data
(:class:`Problem`: its kind and text), so a grader reads them without parsing the text.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Iterable

#: The kinds of :class:`Problem`.
MISMATCH = "mismatch"          # the answer differs from what the exercise asks
ANSWER_ERROR = "answer_error"  # the answer cell above stopped with an error
CHECK_ERROR = "check_error"    # the check could not run on the answer (an answer it did not foresee)
MISSING = "missing"            # nothing to check yet (not attempted)


@dataclass(frozen=True)
class Problem:
    """One thing to fix: what kind of problem it is, and the sentence the student reads."""

    text: str
    kind: str = MISMATCH

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Correct:
    """The answer is right: the ✔ line a student sees."""

    exercise: str
    verdict: str = "correct"
    detail: str = ""
    symbol: ClassVar[str] = "✔"

    def render(self) -> str:
        return f"{self.symbol} {self.exercise}: {self.verdict}." + (f" {self.detail}" if self.detail else "")


class CheckFailed(AssertionError):
    """The answer is there but wrong; ``problems`` lists each mismatch (their texts), ``details``
    the same as :class:`Problem` objects. Each problem may be a string (a mismatch) or a Problem."""

    symbol = "✘"

    def __init__(self, exercise: str, problems: Iterable[str | Problem]):
        self.exercise = exercise
        self.details = [p if isinstance(p, Problem) else Problem(str(p)) for p in problems]
        self.problems = [p.text for p in self.details]
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        head = f"{self.symbol} {self.exercise}: {count} problem{'s' if count != 1 else ''} to fix"
        lines = [head] + [f"  {n}. {problem}" for n, problem in enumerate(self.problems, 1)]
        return "\n".join(lines)

    def _render_traceback_(self) -> list[str]:
        """IPython shows these lines instead of a traceback."""
        return self.render().splitlines()


class NotAttempted(CheckFailed):
    """The exercise still holds its ``raise NotImplementedError()`` stub."""

    symbol = "…"

    def __init__(self, exercise: str, what: str):
        self.what = what
        super().__init__(exercise, [Problem(what, MISSING)])

    def render(self) -> str:
        return f"{self.symbol} {self.exercise}: not attempted yet. {self.what}"


class NotGraded(Exception):
    """The grader cannot score this check: instructor material it needs (the quiz's answer key)
    is not where it looked. Not a verdict on the answer, and not an ``AssertionError``: under
    ``autograder grade`` the submission is recorded as failed (graded again on the next run),
    under stock nbgrader the test cell shows this message; the instructor puts the material in
    place and grades again."""

    symbol = "⚠"

    def __init__(self, exercise: str, reason: str):
        self.exercise = exercise
        self.reason = reason
        super().__init__(self.render())

    def render(self) -> str:
        return f"{self.symbol} {self.exercise}: NOT GRADED. {self.reason}"

    def _render_traceback_(self) -> list[str]:
        return self.render().splitlines()


@dataclass
class Problems:
    """Collects mismatches so a check can report all of them at once."""

    exercise: str
    found: list[str | Problem] = field(default_factory=list)

    def add(self, message: str | Problem) -> None:
        self.found.append(message)

    def expect(self, condition: bool, message: str | Problem) -> bool:
        """Record ``message`` unless ``condition`` holds; return ``condition``."""
        if not condition:
            self.add(message)
        return bool(condition)

    def __bool__(self) -> bool:
        return bool(self.found)

    def raise_if_any(self) -> None:
        """Raise with every problem; an error the answer cell just raised comes first."""
        if self.found:
            from course import errors

            error = errors.answer_error()
            if error is not None:
                self.found.insert(0, Problem("the answer cell above stopped with an error, so what it "
                                             f"defines is missing or half-done: {errors.explain(error)}",
                                             ANSWER_ERROR))
            raise CheckFailed(self.exercise, self.found)


def passed(exercise: str, detail: str = "", verdict: str = "correct") -> str:
    """Print (and return) the success line a student sees."""
    message = Correct(exercise, verdict, detail).render()
    print(message)
    return message
