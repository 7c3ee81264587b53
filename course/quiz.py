"""The course quiz: the ReLU question and seven more, one per idea taught, and how it is scored.

This module holds what students may read: each question's text, options and hints. The
answer key (each right letter, and the explanation, which states it) is instructor material:
:mod:`course.answer_key` reads it from the course directory when an answer is scored, so a
class's student package cannot give an answer away. Without a key (a student's environment in a
class), graded mode's check still records the letter; self-study says that the answer key is
not installed here; a hidden test raises :class:`course.feedback.NotGraded` naming where it looked.

**Two modes**, chosen by the instructor (:func:`mode`):

* ``graded`` (a class): a check cell confirms the letter written in ``answer_qN``
  and says nothing about whether it is right; hidden tests grade it after
  submission and the feedback gives right/wrong with the explanation.
* ``self-study`` (the default): the first answer committed for a question counts, one
  rule for every way in: the quiz widget's Submit button, or the first check of the
  letter written in ``answer_qN`` (the check cell, nbgrader's Validate, ``autograder
  check``). It is kept in .quiz_answers.json beside the notebook, so it outlives a kernel
  restart; the learner then sees right/wrong and why (from the answer key, which a clone of the
  repository has), and ``autograder check`` scores that answer (and says "failed", not "not
  attempted", for a wrong answer given in the widget).

The mode comes from the environment variable ``COURSE_QUIZ_MODE`` (a grader sets it),
else from ``c.CourseQuiz.mode`` in the course's ``nbgrader_config.py``, else ``self-study``.
This module is the quiz's logic; the widget (``course.widgets.quiz``) imports it, never
the reverse.
"""
from __future__ import annotations

import json
import os
import string
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from course import answer_key, reference_epochs
from course.answer_key import AnswerKeyMissing as AnswerKeyMissing  # re-exported: quiz.AnswerKeyMissing
from course.settings import course_config as course_config  # re-exported: quiz.course_config
from course.settings import setting

GRADED, SELF_STUDY = "graded", "self-study"
MODE_VARIABLE = "COURSE_QUIZ_MODE"
#: Where self-study answers, once committed, are kept: beside the notebook (git-ignored).
ATTEMPTS_FILE = ".quiz_answers.json"


@dataclass(frozen=True)
class Question:
    number: int
    lesson: str
    text: str
    options: dict[str, str]
    #: The second hint: where in the course to look, or what to try, for this question (never the answer).
    hint: str = ""

    @property
    def variable(self) -> str:
        return f"answer_q{self.number}"


QUESTIONS = [
    Question(1, "03 Dense layers", "What does the ReLU activation function do in the Dense layers?",
             {"A": "It outputs values between -1 and 1",
              "B": "It scales all values between 0 and 1",
              "C": "It changes all negative values to zero and keeps positive values as is",
              "D": "It sums all inputs without change"},
             "Open lesson 6's activation inspector on a Dense stage: some units are exactly 0 and "
             "others are well above 1. Which option allows both?"),
    Question(2, "04 Output layer", "The output layer gives 0.8 for a sample. What does 0.8 mean?",
             {"A": "80 % of the sample's features are positive",
              "B": "The model's estimate of the probability that the sample's label is 1",
              "C": "The loss for that sample",
              "D": "The sample belongs to class 0.8"},
             "Lesson 6 turns this number into a class by comparing it with 0.5, and the labels are 0 "
             "or 1. Which option is a number that such a comparison makes sense for?"),
    Question(3, "02 Normalization", "What does normalizer.adapt(x) learn?",
             {"A": "The weights of the Dense layers",
              "B": "The labels of the training data",
              "C": "The learning rate",
              "D": "Each feature's mean and variance over x"},
             "After adapt, print normalizer.mean and normalizer.variance: how many numbers do they "
             "hold, and what would you compute to get them from x?"),
    Question(4, "02 Normalization", "Why does the pipeline normalize the features first?",
             {"A": "Keras refuses data that is not normalized",
              "B": "Features on very different scales make some dominate and slow down training; "
                   "normalization puts them on a common scale",
              "C": "It removes label noise",
              "D": "It reduces the number of samples"},
             "Lesson 1 printed each feature's scale. Picture one weighted sum of a Dense unit with a "
             "feature in the thousands next to one in the hundredths: which of them moves the sum?"),
    Question(5, "03 Dense layers", "How many parameters does Dense(32) have when it follows Dense(64)?",
             {"A": "2048", "B": "96", "C": "2080", "D": "32"},
             "Lesson 3 counted parameters with count_params(): a Dense unit has one weight per input "
             "it sees, and something more of its own. Count both for 32 units."),
    Question(6, "05 Training", "fit(x, y, epochs=5, batch_size=32) on 1000 samples: how many weight "
                               "updates happen in one epoch?",
             {"A": "32", "B": "1000", "C": "5", "D": "31"},
             "The weights change once per batch. How many batches of 32 samples cover 1000 samples, "
             "if the last batch may hold fewer?"),
    Question(7, "05 Training", f"{reference_epochs.trend()}. What does that tell you?",
             {"A": "The model is certainly overfitting",
              "B": "The learning rate is too high",
              "C": "The model is learning: its predictions on the training data get better every epoch",
              "D": "The data was not normalized"},
             "Every number in the table is measured on the training data. Which options would need "
             "something the table does not show (held-out data, another learning rate, the raw features)?"),
    Question(8, "06 Prediction trace", "The reference trace shows 5 layers. How many does model.layers list "
                                       "for Sequential([keras.Input((20,)), Normalization, Dense, Dense, Dense])?",
             {"A": "5", "B": "4", "C": "3", "D": "6"},
             "Build that model in a cell and print len(model.layers), or read model.summary(): "
             "does the Input show up as a layer of its own?"),
]


def key(question: Question, start: Path | None = None) -> answer_key.Key:
    """``question``'s key from the course's answer key (:mod:`course.answer_key`), read now;
    raises :class:`AnswerKeyMissing` when this environment has none (a student's, in a class)."""
    found = answer_key.key(question.number, start)
    if found.answer not in question.options:
        raise AnswerKeyMissing(f"gives {found.answer!r} for question {question.number}, which has options "
                               f"{', '.join(question.options)}", answer_key.location(start))
    return found


def is_correct(question: Question, value: Any) -> bool:
    """True when ``value`` (a letter in quotes) is the right answer; raises
    :class:`AnswerKeyMissing` where there is no answer key."""
    return letter_of(value, question.options) == key(question).answer


def letter_of(value: Any, options: Iterable[str] | Mapping[str, str] | None = None) -> str:
    """The upper-case letter a student wrote (" b ", "(B)" -> "B", or an option's full text).

    Raises TypeError for a non-string (None, 3, ["B"]) and ValueError for a string that is
    not one of the options, each saying how to write it.
    """
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


# ---------------------------------------------------------------- mode

def _normal_mode(value: Any) -> str | None:
    text = str(value or "").strip().lower().replace("_", "-").replace(" ", "-")
    if text in ("graded", "class", "exam"):
        return GRADED
    if text in ("self-study", "selfstudy", "self", "practice"):
        return SELF_STUDY
    return None


def mode(start: Path | None = None) -> str:
    """``graded`` or ``self-study``: ``COURSE_QUIZ_MODE``, else ``c.CourseQuiz.mode``, else self-study."""
    chosen = _normal_mode(os.environ.get(MODE_VARIABLE)) or _normal_mode(setting("CourseQuiz.mode", start))
    return chosen or SELF_STUDY


# ---------------------------------------------------------------- self-study attempts

def _in_kernel() -> bool:
    shell = sys.modules["IPython"].get_ipython() if "IPython" in sys.modules else None
    return getattr(shell, "kernel", None) is not None


def _attempts_path(folder: Path | None = None) -> Path:
    return (folder or Path.cwd()) / ATTEMPTS_FILE


#: Self-study answers committed in this kernel session, by question number (what counts when
#: the folder cannot be written).
SESSION: dict[int, str] = {}


def committed(question: Question, folder: Path | None = None) -> str | None:
    """The self-study answer that counts for ``question``: committed in this session or this folder."""
    if question.number in SESSION:
        return SESSION[question.number]
    if folder is None and not _in_kernel():
        return None  # only a notebook's kernel reads the learner's file (never a grader's process)
    try:
        data = json.loads(_attempts_path(folder).read_text())
        return letter_of(data[str(question.number)], question.options)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def commit(question: Question, letter: str, folder: Path | None = None, *, keep: bool = True) -> str:
    """Commit ``letter`` as the answer that counts, unless one is already committed; return it.

    ``keep`` also writes it to the file beside the notebook (the widget and a check cell both
    do, so the first answer outlives a kernel restart); ``keep=False`` commits for this
    session only.
    """
    letter = letter_of(letter, question.options)
    first = committed(question, folder)
    if first is not None:
        return first
    SESSION[question.number] = letter
    if not keep:
        return letter
    path = _attempts_path(folder)
    try:
        data = json.loads(path.read_text())
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    first = data.get(str(question.number))
    if isinstance(first, str):
        try:
            return letter_of(first, question.options)
        except ValueError:
            pass
    data[str(question.number)] = letter
    try:
        path.write_text(json.dumps(data, indent=1, sort_keys=True))
    except OSError:
        pass  # a read-only folder: the answer still counts for this session's check
    return letter


# ---------------------------------------------------------------- what the learner sees

def verdict(question: Question, letter: str) -> tuple[bool, str]:
    """Right or wrong, with why: shown once an answer counts (self-study) or after grading.
    Raises :class:`AnswerKeyMissing` where there is no answer key."""
    letter = letter_of(letter, question.options)
    found = key(question)
    if letter == found.answer:
        return True, f"{letter} is right. {found.explanation}"
    return False, f"{letter} is not the right answer. {found.explanation}"


def instant_verdict(question: Question, letter: str) -> tuple[bool | None, str]:
    """Self-study: :func:`verdict`, or, where no answer key is installed, None and a sentence
    that says so (the same for every letter)."""
    try:
        return verdict(question, letter)
    except AnswerKeyMissing:
        return None, no_key(question, letter)


def no_key(question: Question, letter: str) -> str:
    """Self-study without an answer key: the letter is kept, and nobody here can say if it is right."""
    letter = letter_of(letter, question.options)
    return (f"answer kept: {letter} ({question.options[letter]}). The answer key is not installed "
            "here (your instructor has it), so this copy of the course cannot score it.")


def recorded(question: Question, letter: str) -> str:
    """Graded mode: what was recorded, in words that say nothing about right or wrong."""
    letter = letter_of(letter, question.options)
    return (f"answer recorded: {letter} ({question.options[letter]}). It is graded after you "
            "submit; you can change it until then.")


def question(number: int) -> Question:
    """Question ``number`` (1-based)."""
    return QUESTIONS[number - 1]
