"""The trusted checks: a graded cell's verdict computed outside the student's kernel
(a process: ``python -m autograder.check.trusted``). Imports ``course``.
"""
