"""Grading one notebook: the grading-worker process (``python -m autograder.execute.worker``),
nbgrader's Execute step guarded (:mod:`.guarded`), and what every worker is told first (:mod:`.setup`).
"""
