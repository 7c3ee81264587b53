"""Where grading runs once it is planned.

:func:`autograder.grading.grade` plans a run (which submissions, why, what is
missing) and runs it on this machine's warm-kernel workers (the ``local``
executor). :mod:`autograder.executors.dask` runs the same plan on a
``dask.distributed`` cluster: each submission is one task, graded on a Dask
worker in a scratch copy of the course, and recorded into this course's
gradebook by nbgrader's own autograde (:mod:`autograder.executors.replay`).
"""
