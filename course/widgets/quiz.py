"""Multiple-choice questions as widgets: radio buttons, a button, and feedback.

    q1 = QuizQuestion(
        "How many units does the output layer have?",
        {"A": "1", "B": "20", "C": "32", "D": "64"},
        check=check_q1,          # optional: letter -> (correct? or None, message)
        one_attempt=True,        # the first submitted answer counts: the choices lock
    )
    q1                           # shows the question

The student picks an option and presses the button: the choice is stored in
``q1.answer`` and the message from ``check`` appears below, with ✔/✘ only when
``check`` says right or wrong (``None``: no mark). This module holds no answer keys.

:func:`ask` shows one question of the course quiz the way the quiz's mode wants
(:mod:`course.quiz`): in *self-study* mode a Submit button commits the first answer
(saved beside the notebook) and then shows right/wrong and why (or, where no answer key is
installed, that it cannot say); in *graded* mode the
widget only shows the question and its options, and the answer is the letter written
in ``answer_qN`` in the cell below, the one thing graded.
"""
from __future__ import annotations

import html
import string
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import ipywidgets as widgets

from course import quiz
from course.widgets.frontend import is_headless

#: A checker: the chosen letter -> (is it correct? None: not said, message to show).
Check = Callable[[str], tuple[bool | None, str]]


class QuizQuestion:
    """One multiple-choice question, shown as radio buttons with a button.

    ``options`` maps letters to option texts ({"A": "...", ...}); ``check``
    (optional) takes the chosen letter and returns (correct or None, message);
    ``name`` is the variable a graded cell reads (e.g. "answer_q1"); ``answer``
    preselects and submits a letter; ``one_attempt`` locks the choices after the
    first submission.
    """

    def __init__(self, question: str, options: Mapping[str, str], check: Check | None = None,
                 name: str | None = None, *, answer: str | None = None, one_attempt: bool = False,
                 button: str = "Check"):
        if not isinstance(question, str) or not question.strip():
            raise ValueError("QuizQuestion needs the question text as a non-empty string.")
        if not isinstance(options, Mapping) or len(options) < 2:
            raise ValueError("QuizQuestion needs at least two options as {'A': 'text', 'B': 'text'}.")
        letters = [str(letter).strip().upper() for letter in options]
        if any(len(letter) != 1 or letter not in string.ascii_uppercase for letter in letters) \
                or len(set(letters)) != len(letters):
            raise ValueError("QuizQuestion option keys must be distinct single letters, "
                             f"not {list(options)}.")
        self.question = question
        self.options = {letter: str(text) for letter, text in zip(letters, options.values())}
        self.check = check
        self.name = name
        self.one_attempt = one_attempt
        self.answer: str | None = None
        self.choices = widgets.RadioButtons(
            options=[(f"{letter}. {text}", letter) for letter, text in self.options.items()],
            value=None, layout=widgets.Layout(width="max-content"))
        self.check_button = widgets.Button(description=button, button_style="primary")
        self.feedback = widgets.HTML()
        self.widget = widgets.VBox([widgets.HTML(f"<b>{html.escape(question)}</b>"),
                                    self.choices, self.check_button, self.feedback])
        self.check_button.on_click(self._on_check)
        if answer is not None:
            self.choices.value = answer_of(answer, self.options)
            self.submit()

    @property
    def locked(self) -> bool:
        return self.choices.disabled

    def submit(self) -> None:
        """Store the selected option as :attr:`answer` and show feedback (what the button does)."""
        if self.locked:
            return
        letter = self.choices.value
        if letter is None:
            self.feedback.value = "Pick one of the options first, then press the button."
            return
        self.answer = letter
        if self.check is None:
            correct, message = None, f"Answer {letter} saved."
        else:
            try:
                correct, message = self.check(letter)
            except Exception as error:  # noqa: BLE001 - shown to the student, not raised in a callback
                correct, message = None, f"Answer {letter} saved, but checking it failed: {error}"
        if self.one_attempt:
            self.choices.disabled = self.check_button.disabled = True
        self.feedback.value = _feedback_html(None if correct is None else bool(correct), str(message))

    def _on_check(self, button: widgets.Button) -> None:
        self.submit()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        """The live widget, with :meth:`html` beside it for viewers that cannot run widgets
        (nbconvert, nbgrader's feedback, GitHub's viewer, a reopened notebook); only the static
        parts when nobody is watching (nbgrader, ``COURSE_WIDGETS=static``)."""
        bundle = {} if is_headless() else self.widget._repr_mimebundle_(**kwargs)
        bundle["text/html"] = self.html()
        bundle["text/plain"] = self.text()
        return bundle

    def html(self) -> str:
        """The question, its options (the submitted one marked) and the feedback, as static HTML."""
        chosen = self.answer if self.answer is not None else self.choices.value
        items = "".join(
            f"<li>{'&#9673;' if letter == chosen else '&#9675;'} <b>{letter}.</b> {html.escape(text)}</li>"
            for letter, text in self.options.items())
        feedback = f"<div>{self.feedback.value}</div>" if self.feedback.value else ""
        return (f"<div class='course-static course-quiz'><b>{html.escape(self.question)}</b>"
                f"<ul style='list-style:none;padding-left:1em'>{items}</ul>{feedback}</div>")

    def text(self) -> str:
        """The question and its options as plain text (for scripts and graded feedback)."""
        lines = [self.question, *(f"  {letter}. {text}" for letter, text in self.options.items())]
        if self.name:
            lines.append(f'Answer with one letter in quotes: {self.name} = "<letter>"')
        return "\n".join(lines)


class GradedQuestion:
    """Graded mode: the question and its options, and where to write the answer; no verdict."""

    def __init__(self, question: quiz.Question):
        self.question = question

    def text(self) -> str:
        q = self.question
        return "\n".join([f"Q{q.number} ({q.lesson}). {q.text}",
                          *(f"  {letter}. {text}" for letter, text in q.options.items()),
                          f'Write your answer in the cell below as {q.variable} = "<letter>"; '
                          "it is graded after you submit."])

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        q = self.question
        items = "".join(f"<li><b>{letter}.</b> {html.escape(text)}</li>" for letter, text in q.options.items())
        page = (f"<div><b>Q{q.number} ({html.escape(q.lesson)}). {html.escape(q.text)}</b>"
                f"<ul style='list-style:none;padding-left:1em'>{items}</ul>"
                f"<small>Write your answer in the cell below as <code>{q.variable} = \"&lt;letter&gt;\"</code>; "
                "it is graded after you submit.</small></div>")
        return {"text/html": page, "text/plain": self.text()}


def ask(number: int, mode: str | None = None) -> "QuizQuestion | GradedQuestion":
    """Show quiz question ``number`` as the quiz's mode wants it (see the module docstring)."""
    question = quiz.question(number)
    if (mode or quiz.mode()) == quiz.GRADED:
        return GradedQuestion(question)

    def submit(letter: str) -> tuple[bool | None, str]:
        counted = quiz.commit(question, letter)
        correct, message = quiz.instant_verdict(question, counted)
        if counted != letter:
            message = f"Your first answer, {counted}, is the one that counts. {message}"
        return correct, message

    widget = QuizQuestion(f"Q{number} ({question.lesson}). {question.text}", question.options,
                          check=submit, name=question.variable, one_attempt=True, button="Submit (one try)")
    first = quiz.committed(question)
    if first is not None:
        widget.choices.value = first
        widget.submit()
    return widget


def answer_of(value: Any, options: Iterable[str] | Mapping[str, str] | None = None) -> str:
    """The upper-case letter a student chose, from a :class:`QuizQuestion` or a string.

    Strings may have spaces, brackets or lower case (" b ", "(B)" -> "B"), or be the full
    text of an option when the options are known (see :func:`course.quiz.letter_of`).
    """
    if isinstance(value, QuizQuestion):
        if value.answer is None:
            where = f', or write {value.name} = "<letter>"' if value.name else ""
            raise ValueError("The question has no answer yet: pick an option and press "
                             f"{value.check_button.description}{where}.")
        return quiz.letter_of(value.answer, value.options)
    return quiz.letter_of(value, options)


def _feedback_html(correct: bool | None, message: str) -> str:
    mark = {True: "<span style='color:#2e7d32'>&#10004;</span> ",
            False: "<span style='color:#c62828'>&#10008;</span> ", None: ""}[correct]
    return mark + html.escape(message)
