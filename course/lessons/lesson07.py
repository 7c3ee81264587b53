"""Lesson 7 · Quiz: answers are letters in the variables answer_q1 ... answer_q8.

What the visible test ``ex.q1.check()`` prints depends on the quiz's mode
(:func:`course.quiz.mode`):

* graded (a class): ``Question 1: answer recorded: B (...)``: no ✔/✘, nothing that says
  whether B is right; the hidden test ``ex.q1.check(graded=True)`` grades it after
  submission and its feedback says right or wrong, with the explanation. It reads the answer
  key from the instructor's course directory (:mod:`course.answer_key`); where there is none it
  raises :class:`~course.feedback.NotGraded`, naming where it looked, never a wrong answer;
* self-study: the first answer committed counts, whichever way it came (the widget's Submit
  button, or the first run of this check, of nbgrader's Validate or of ``autograder check`` on
  the letter in the cell); it is kept in .quiz_answers.json beside the notebook, so a changed
  cell or a restarted kernel does not give a fresh try. The check says right or wrong, and
  why; ``autograder check`` scores that answer. Where no answer key is installed (the student
  package of a class), it says so and keeps the letter.
"""
from __future__ import annotations

import os
from typing import Any

from course import quiz
from course.exercise import Exercise, Notebook, defer_verdict
from course.feedback import CheckFailed, NotGraded
from course.quiz import QUESTIONS, Question

notebook = Notebook()
bind, show_stage, ready = notebook.bind, notebook.show_stage, notebook.ready


def _unused_checker(problems, **answers):  # QuizExercise.check does the work
    return None


class QuizExercise(Exercise):
    """One quiz question: records (graded mode) or scores (self-study, hidden tests) a letter."""

    def __init__(self, question: Question):
        super().__init__(notebook, f"Question {question.number}", [question.variable], _unused_checker, [
            f"Revisit lesson {question.lesson}.", question.hint,
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
        """Self-study: the committed answer (committing the written one if none yet), and a note.

        The written answer is committed the first time a check shows its verdict (this cell,
        nbgrader's Validate, ``autograder check``), kept beside the notebook as the widget keeps
        its answer, so a changed cell, a restarted kernel or a later ``autograder check`` still
        count the first one. Never while a notebook is graded (``NBGRADER_EXECUTION=autograde``)."""
        first = quiz.committed(self.question)
        written = self._written()
        if first is None:
            if written is None:
                self.answers()  # raises "not attempted yet" / "misnamed" with the course's wording
            first = written
            if quiz._in_kernel() and not _grading():
                first = quiz.commit(self.question, written)  # the first checked answer counts
        if written is None:
            note = f" (Your first answer, {first}, given earlier, is the one that counts.)"
        elif written != first:
            note = f" (Your first answer, {first}, is the one that counts; the cell now says {written}.)"
        else:
            note = ""
        return first, note

    def check(self, graded: bool = False, **inputs: Any) -> None:
        """Graded mode: confirm what was recorded. Self-study or ``graded=True``: right or wrong, and why."""
        if inputs:
            raise TypeError(f"check() got unexpected arguments: {', '.join(inputs)}")
        if graded or quiz.mode() != quiz.GRADED:
            correct: bool | None
            if graded:
                letter, note = self._written(), ""
                if letter is None:
                    self.answers()
                try:
                    correct, message = quiz.verdict(self.question, letter)
                except quiz.AnswerKeyMissing as missing:
                    raise NotGraded(self.title, f"{missing} This answer ({letter}) is not graded yet: put the "
                                                "key there and grade again.") from None
            else:
                letter, note = self._counted()
                correct, message = quiz.instant_verdict(self.question, letter)
                if correct is None:  # no answer key here: no verdict either way
                    print(f"{self.title}: {message}{note}")
                    return
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
    """True while nbgrader grades the notebook (``autograde``): nothing is committed then. Its
    ``validate`` (the Validate button, ``autograder check``) shows verdicts, so it commits."""
    return os.environ.get("NBGRADER_EXECUTION") == "autograde"


def ask(number: int):
    """Show quiz question ``number`` (a widget in self-study mode, the plain question when graded)."""
    from course.widgets.quiz import ask as show

    return show(number)


q1, q2, q3, q4, q5, q6, q7, q8 = (QuizExercise(question) for question in QUESTIONS)

__all__ = ["ask", "bind", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8"]
