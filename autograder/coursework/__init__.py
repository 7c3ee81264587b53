"""Tools specific to this course (they import ``course``): the reference model and
the ``course-trace`` command.
"""
