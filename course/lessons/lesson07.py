"""Lesson 7 · Quiz: answers are letters in the variables answer_q1 ... answer_q8.

What the visible test ``ex.q1.check()`` prints depends on the quiz's mode
(:func:`course.quiz.mode`):

* graded (a class): ``Question 1: answer recorded: B (...)``: no ✔/✘, nothing that says
  whether B is right; the hidden test ``ex.q1.check(graded=True)`` grades it after
  submission and its feedback says right or wrong, with the explanation;
* self-study: the first answer committed (the widget's Submit button, kept beside the
  notebook, or the first run of this check in the session) counts, and the check says right or wrong, and why; ``autograder check``
  scores that answer.
"""
from __future__ import annotations

import os
from typing import Any

from course import quiz
from course.exercise import Exercise, Notebook, defer_verdict
from course.feedback import CheckFailed
from course.quiz import QUESTIONS, Question

notebook = Notebook()
bind, show_stage, ready = notebook.bind, notebook.show_stage, notebook.ready


def _unused_checker(problems, **answers):  # QuizExercise.check does the work
    return None


class QuizExercise(Exercise):
    """One quiz question: records (graded mode) or scores (self-study, hidden tests) a letter."""

    def __init__(self, question: Question):
        super().__init__(notebook, f"Question {question.number}", [question.variable], _unused_checker, [
            f"Revisit lesson {question.lesson}.",
            "Rule out the options that describe a different layer or step, then pick what is left.",
        ], verdict="answer recorded")
        self.question = question

    def _written(self) -> str | None:
        """The letter in ``answer_qN``; None when the variable is not defined."""
        namespace = self.notebook.namespace or {}
        if self.question.variable not in namespace:
            return None
        try:
            return quiz.letter_of(namespace[self.question.variable], self.question.options)
        except (TypeError, ValueError) as error:
            raise CheckFailed(self.title, [str(error)]) from None

    def _counted(self) -> tuple[str, str]:
        """Self-study: the committed answer (committing the written one if none yet), and a note."""
        first = quiz.committed(self.question)
        written = self._written()
        if first is None:
            if written is None:
                self.answers()  # raises "not attempted yet" / "misnamed" with the course's wording
            first = written
            if quiz._in_kernel() and not _grading():
                quiz.commit(self.question, written, keep=False)  # the first checked answer counts
        note = "" if written in (None, first) else \
            f" (Your first answer, {first}, is the one that counts; the cell now says {written}.)"
        return first, note

    def check(self, graded: bool = False, **inputs: Any) -> None:
        """Graded mode: confirm what was recorded. Self-study or ``graded=True``: right or wrong, and why."""
        if inputs:
            raise TypeError(f"check() got unexpected arguments: {', '.join(inputs)}")
        if graded or quiz.mode() != quiz.GRADED:
            if graded:
                letter, note = self._written(), ""
                if letter is None:
                    self.answers()
            else:
                letter, note = self._counted()
            correct, message = quiz.verdict(self.question, letter)
            if not correct:
                raise CheckFailed(self.title, [message + note])
            line = f"✔ {self.title}: {message}{note}"
            if not defer_verdict(line):
                print(line)
            return
        letter = self._written()
        if letter is None:
            self.answers()
        print(f"{self.title}: {quiz.recorded(self.question, letter)}")


def _grading() -> bool:
    """True while nbgrader (or ``autograder check``) runs the notebook: nothing is committed then."""
    return "NBGRADER_EXECUTION" in os.environ


def ask(number: int):
    """Show quiz question ``number`` (a widget in self-study mode, the plain question when graded)."""
    from course.widgets.quiz import ask as show

    return show(number)


q1, q2, q3, q4, q5, q6, q7, q8 = (QuizExercise(question) for question in QUESTIONS)

__all__ = ["ask", "bind", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8"]
