"""Widgets for seeing inside the model, watching it train, and answering quiz questions.

    from course.widgets import ActivationInspector, LiveCurves, QuizQuestion, answer_of

    ActivationInspector(model, x, y)            # every stage's output, sample by sample
    model.fit(x, y, epochs=5, callbacks=[LiveCurves()], verbose=0)
    QuizQuestion("Which stage scales the features?", {"A": "...", "B": "..."}, name="answer_q1")
    answer_of(answer_q1)                        # the letter, upper case, or a clear error

They work live in JupyterLab and stay quick and silent (nothing on stderr, no
waiting) when nbgrader or a script runs the notebook: see
:mod:`course.widgets.frontend`. Given a model or data they cannot show, they
raise :class:`course.arguments.TraceError` (a ``ValueError``) with a message that
names the fix, worded as the pipeline trace words it.
"""
from course.widgets.frontend import is_headless
from course.widgets.inspector import ActivationInspector
from course.widgets.live_curves import LiveCurves
from course.widgets.quiz import QuizQuestion, answer_of

__all__ = ["ActivationInspector", "LiveCurves", "QuizQuestion", "answer_of", "is_headless"]
