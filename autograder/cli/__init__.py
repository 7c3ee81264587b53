"""The ``autograder`` command: nbgrader-style traitlets apps (:mod:`.apps`), the entry point (:mod:`.main`).
"""
