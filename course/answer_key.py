"""The quiz's answer key: instructor material, read from the course directory, never shipped.

The right letter of each quiz question, and the explanation shown once an answer is scored
(it states the answer), live in ``answer_keys/quiz.toml`` in the *course directory*, beside
the course's ``nbgrader_config.py``, and not in this package. So:

* the student package of a class (a wheel, the hub's environment) does not contain them;
* ``autograder grade`` hides the course directory from students' kernels (it binds back only the
  packages of editable installs, such as ``course/``: a key inside ``course/`` would be readable);
* the graders find it: stock ``nbgrader autograde`` runs each kernel in
  ``<course>/autograded/<student>/07_quiz``, whose course config, found upward
  (:func:`course.settings.course_config`), is the instructor's; ``autograder grade`` runs its
  trusted checks in the course directory;
* self-study learners have the whole repository, which is the course directory.

``c.CourseQuiz.key_file`` in the course's ``nbgrader_config.py`` names another file (relative
to that file's folder); it is then the one place looked at. Without a readable key,
:func:`load` raises :class:`AnswerKeyMissing`, naming where it looked.

The file is read each time an answer is scored, never at import and never cached: a grader
imports ``course`` in the process that forks students' kernels, so no key may be in memory there.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from course.settings import CONFIG_FILE, course_config, setting

#: Where the key lives in a course directory: beside its nbgrader_config.py.
KEY_FILE = Path("answer_keys") / "quiz.toml"
#: The course setting that names another file.
KEY_SETTING = "CourseQuiz.key_file"


class AnswerKeyMissing(LookupError):
    """The quiz's answer key is not where it was looked for (or cannot be read); the message
    says where, and how to put it there. A student's environment in a class never has it."""

    def __init__(self, problem: str, looked_in: Path | None = None):
        self.looked_in = looked_in
        where = (f"looked for {looked_in}" if looked_in is not None else
                 f"no course nbgrader_config.py was found from {Path.cwd()} upward, nor in Jupyter's config folders")
        super().__init__(f"The quiz's answer key {problem}: {where}. It belongs in {KEY_FILE} beside the "
                         f"course's nbgrader_config.py, or in the file c.{KEY_SETTING} names there.")


@dataclass(frozen=True)
class Key:
    """One question's key: the right letter, and why (shown once an answer is scored)."""

    answer: str
    explanation: str


def location(start: Path | None = None) -> Path | None:
    """Where the key of the course around ``start`` (default: the working folder) should be:
    ``c.CourseQuiz.key_file``, else ``answer_keys/quiz.toml`` beside the nearest course config
    (from ``start`` upward) that has one, else beside the course's config; None when no course
    config is found."""
    config = course_config(start)
    named = setting(KEY_SETTING, start)
    if named:
        path = Path(str(named)).expanduser()
        if not path.is_absolute():
            path = (config.parent if config is not None else (start or Path.cwd())) / path
        return path
    # A learner's workspace inside the course directory has an nbgrader_config.py of its own (its
    # exchange's): the key is beside the nearest config, from ``start`` upward, that has one.
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file() and (folder / KEY_FILE).is_file():
            return folder / KEY_FILE
    return config.parent / KEY_FILE if config is not None else None


def load(start: Path | None = None) -> dict[int, Key]:
    """{question number: Key}, read now from :func:`location`; raises :class:`AnswerKeyMissing`."""
    path = location(start)
    if path is None:
        raise AnswerKeyMissing("is not here")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AnswerKeyMissing("is not here", path) from None
    except (OSError, UnicodeDecodeError) as error:
        raise AnswerKeyMissing(f"cannot be read ({type(error).__name__}: {error})", path) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise AnswerKeyMissing(f"is not valid TOML ({error})", path) from None
    keys = {}
    for name, entry in data.items():
        number = name[1:] if name.startswith("q") else ""
        if not (number.isdigit() and isinstance(entry, dict) and isinstance(entry.get("answer"), str)
                and isinstance(entry.get("explanation"), str)):
            raise AnswerKeyMissing(f"has an entry [{name}] that is not [qN] with answer = \"<letter>\" and "
                                   "explanation = \"...\"", path)
        keys[int(number)] = Key(entry["answer"].strip().upper(), entry["explanation"].strip())
    return keys


def key(number: int, start: Path | None = None) -> Key:
    """Question ``number``'s key; raises :class:`AnswerKeyMissing` when there is none."""
    keys = load(start)
    if number not in keys:
        raise AnswerKeyMissing(f"has no entry [q{number}]", location(start))
    return keys[number]
