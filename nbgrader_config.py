"""nbgrader configuration: the repository root is the course directory.

Stock commands work from here with no extra flags, e.g.
``nbgrader generate_assignment 01_input_data --force`` or
``nbgrader autograde 05_training``.
"""
import os

c = get_config()  # noqa: F821  (provided by nbgrader/traitlets)

COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))

# The course's assignments, in teaching order. nbgrader 0.9 has no config option for
# this list (it adds an assignment to the gradebook on `generate_assignment`); the
# course's own tools read it, and tests/test_notebooks.py keeps it equal to source/.
ASSIGNMENTS = [
    "01_input_data",
    "02_normalization",
    "03_dense_layers",
    "04_output_layer",
    "05_training",
    "06_prediction_trace",
    "07_quiz",
]

c.CourseDirectory.course_id = "keras-sequential"
c.CourseDirectory.root = COURSE_ROOT
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(COURSE_ROOT, "gradebook.db")

# The quiz (lesson 07): "self-study" (the first answer counts and is scored at once) or
# "graded" (a class: the check cell only records the letter; right/wrong comes with the
# feedback after grading). A grader or a class server can override it with the
# environment variable COURSE_QUIZ_MODE. course/quiz.py reads this setting.
c.CourseQuiz.mode = "self-study"
# The quiz's answer key is instructor material: answer_keys/quiz.toml beside this file, never in the
# course package students install (course/answer_key.py reads it; README "Answer keys stay with the
# instructor"). To keep it elsewhere, somewhere students cannot read:
# c.CourseQuiz.key_file = "/path/to/quiz.toml"
# `autograder grade` hides this file from the sandboxed kernels: it gives each kernel's home an
# nbgrader_config.py with just these settings, so graded notebooks show what they show here.
# (Name single settings, never a whole section that may hold a key or a hidden value.)
# Execute.timeout: the course says a cell stopped by the per-cell limit ran longer than it.
c.Autograder.notebook_config = ["CourseQuiz.mode", "Execute.timeout"]

# Students work on copies, never on tracked files: nbgrader's own exchange, inside the
# course folder and git-ignored. `python3 tasks.py lab` creates it and releases release/
# into it; the Assignment List (JupyterLab: Nbgrader > Assignment List) fetches an
# assignment into workspace/NN_name/ and submits from there. Both folders are git-ignored,
# so `git pull` never conflicts with a student's work, and nbgrader never overwrites a
# fetched copy (a re-fetch of an existing folder is refused).
# The quiz widget's self-study answers (course/quiz.py) stay with the learner's copy.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".quiz_answers.json"]
c.Exchange.root = os.path.join(COURSE_ROOT, "exchange")
c.Exchange.path_includes_course = False
c.Exchange.assignment_dir = os.path.join(COURSE_ROOT, "workspace")

# Training five epochs takes about a second here; 120 s per cell leaves room for
# slow laptops without letting a runaway cell hold a grader for long. A cell stopped by it
# says "This cell ran longer than the 120 s limit for one cell ..." (course/errors.py reads this).
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True

# Release notebooks keep cell outputs cleared; the student runs them.
c.ClearOutput.enabled = True
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
