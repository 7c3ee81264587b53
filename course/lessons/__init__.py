"""One module per lesson: its exercises (``q1``, ``q2`` ...), each with check() and hint().

A notebook's first cell runs ``from course.lessons import lesson02 as ex`` and
``ex.bind(globals())``; the visible test after each exercise runs ``ex.q1.check()``.
"""
