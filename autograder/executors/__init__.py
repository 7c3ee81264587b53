"""Where grading runs once it is planned: the same plan in, the same results out.

:mod:`autograder.executors.local` grades a :class:`autograder.plan.planner.Plan` with warm
grading workers on this machine; :mod:`autograder.executors.dask` runs it on a
``dask.distributed`` cluster: each submission is one task, graded on a Dask worker
in a scratch copy of the course (:mod:`~autograder.executors.plugin`,
:mod:`~autograder.executors.bundle`), and recorded here by nbgrader's own autograde
(:mod:`~autograder.executors.replay`). Into a server gradebook, both write a batch of
submissions per transaction (:mod:`autograder.record.gradebook_batch`). Both drive the same grading process (:mod:`~autograder.executors.grader`) and hand
their :class:`autograder.core.results.Result` objects to :class:`autograder.record.runlog.Recorder`.
"""
