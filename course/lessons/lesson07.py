"""Lesson 7 · Quiz: answers are letters in variables answer_q1 ... answer_q8.

The visible test checks that each answer is a valid letter; the hidden tests
(``ex.q1.check(graded=True)``) check that it is the right one.
"""
from __future__ import annotations

from course.exercise import Exercise, Notebook
from course.quiz import QUESTIONS, Question, is_correct
from course.widgets.quiz import answer_of

notebook = Notebook()
bind, show_stage, ready = notebook.bind, notebook.show_stage, notebook.ready


def _checker(question: Question):
    def check(problems, graded: bool = False, **answers):
        value = answers[question.variable]
        try:
            letter = answer_of(value, question.options)
        except (TypeError, ValueError) as error:
            problems.add(str(error))
            return None
        if graded:
            problems.expect(is_correct(question, letter), f"{letter} is not the right answer.")
            return f"{letter} is the right answer."
        return f"You answered {letter}; whether it is right is graded after you submit."
    return check


def _exercise(question: Question) -> Exercise:
    return Exercise(notebook, f"Question {question.number}", [question.variable], _checker(question), [
        f"Revisit lesson {question.lesson}.",
        "Rule out the options that describe a different layer or step, then pick what is left.",
    ], verdict="answer recorded")


q1, q2, q3, q4, q5, q6, q7, q8 = (_exercise(question) for question in QUESTIONS)
