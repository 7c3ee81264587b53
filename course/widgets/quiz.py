"""Multiple-choice questions: radio buttons, a Check button, and feedback.

    q1 = QuizQuestion(
        "How many units does the output layer have?",
        {"A": "1", "B": "20", "C": "32", "D": "64"},
        check=check_q1,          # optional: letter -> (correct?, feedback message)
        name="answer_q1",
    )
    q1                           # shows the question

The student picks an option and presses **Check**: the choice is stored in
``q1.answer`` (e.g. "B") and the feedback from ``check`` appears below (without a
``check``: "Answer B saved."). This module holds no answer keys; lessons pass
a ``check`` built from their own (hashed) keys.

**Grading.** A widget's choice lives in the running kernel only: when nbgrader
re-runs the notebook, nobody clicks, so graded cells read a plain variable,

    answer_q1 = "B"              # the graded copy of your answer (any letter)

and test it with ``answer_of(answer_q1)``. The feedback after Check reminds the
student to write that line (when ``name`` is given), and ``QuizQuestion(...,
answer=answer_q1)`` shows the written answer in the widget. Students without
widgets just write the variable. ``answer_of(q1)`` reads the widget's choice.
"""
from __future__ import annotations

import html
import string
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import ipywidgets as widgets

#: A lesson's checker: the chosen letter -> (is it correct?, message to show).
Check = Callable[[str], tuple[bool, str]]


class QuizQuestion:
    """One multiple-choice question, shown as radio buttons with a Check button.

    ``options`` maps letters to option texts ({"A": "...", ...}); ``check``
    (optional) takes the chosen letter and returns (correct, message); ``name``
    is the variable a graded cell reads (e.g. "answer_q1"); ``answer`` preselects
    and stores a letter, e.g. the one already written in that variable.
    """

    def __init__(self, question: str, options: Mapping[str, str], check: Check | None = None,
                 name: str | None = None, *, answer: str | None = None):
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
        self.answer: str | None = None
        self.choices = widgets.RadioButtons(
            options=[(f"{letter}. {text}", letter) for letter, text in self.options.items()],
            value=None, layout=widgets.Layout(width="max-content"))
        self.check_button = widgets.Button(description="Check", button_style="primary")
        self.feedback = widgets.HTML()
        self.widget = widgets.VBox([widgets.HTML(f"<b>{html.escape(question)}</b>"),
                                    self.choices, self.check_button, self.feedback])
        self.check_button.on_click(self._on_check)
        if answer is not None:
            self.choices.value = answer_of(answer, self.options)
            self.submit()

    def submit(self) -> None:
        """Store the selected option as :attr:`answer` and show feedback (what Check does)."""
        letter = self.choices.value
        if letter is None:
            self.feedback.value = "Pick one of the options first, then press Check."
            return
        self.answer = letter
        if self.check is None:
            correct, message = None, f"Answer {letter} saved."
        else:
            try:
                correct, message = self.check(letter)
            except Exception as error:  # noqa: BLE001 - shown to the student, not raised in a callback
                correct, message = None, f"Answer {letter} saved, but checking it failed: {error}"
        self.feedback.value = _feedback_html(None if correct is None else bool(correct),
                                             str(message), letter, self.name)

    def _on_check(self, button: widgets.Button) -> None:
        self.submit()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = self.text()
        return bundle

    def text(self) -> str:
        """The question and its options as plain text (for scripts and graded feedback)."""
        lines = [self.question, *(f"  {letter}. {text}" for letter, text in self.options.items())]
        if self.name:
            lines.append(f'Answer with one letter in quotes: {self.name} = "<letter>"')
        return "\n".join(lines)


def answer_of(value: Any, options: Iterable[str] | Mapping[str, str] | None = None) -> str:
    """The upper-case letter a student chose, from a :class:`QuizQuestion` or a string.

    Strings may have spaces, brackets or lower case (" b ", "(B)" -> "B"), or be the full text of
    an option when the options are known. ``options`` (letters, or the
    letter -> text mapping) limits the valid letters; a QuizQuestion brings its
    own. Raises TypeError for a non-string (None, 3, ["B"]) and ValueError for
    a string that is not one of the options, each saying how to write it.
    """
    if isinstance(value, QuizQuestion):
        if value.answer is None:
            where = f', or write {value.name} = "<letter>"' if value.name else ""
            raise ValueError(f"The question has no answer yet: pick an option and press Check{where}.")
        return answer_of(value.answer, value.options)
    if not isinstance(value, str):
        kind = "nothing (None)" if value is None else f"{value!r} (type {type(value).__name__})"
        raise TypeError(f'An answer must be one option letter in quotes, e.g. "A"; got {kind}.')
    texts = dict(options) if isinstance(options, Mapping) else {}
    letters = [str(k).strip().upper() for k in (options if options is not None else [])]
    cleaned = value.strip().strip("().").strip().upper()
    if cleaned in letters or (not letters and len(cleaned) == 1 and cleaned in string.ascii_uppercase):
        return cleaned
    for letter, text in texts.items():
        if value.strip().lower() == str(text).strip().lower():
            return str(letter).strip().upper()
    valid = ", ".join(letters) if letters else "A, B, C, ..."
    raise ValueError(f'{value!r} is not one of the options; answer with one letter in quotes: {valid}.')


def _feedback_html(correct: bool | None, message: str, letter: str, name: str | None) -> str:
    mark = {True: "<span style='color:#2e7d32'>&#10004;</span> ",
            False: "<span style='color:#c62828'>&#10008;</span> ", None: ""}[correct]
    text = mark + html.escape(message)
    if name:
        text += (f"<br><small>For grading, also write <code>{html.escape(name)} = "
                 f"\"{letter}\"</code> in the answer cell.</small>")
    return text
