"""The shared vocabulary of a run: results, options, the course directory, per-process folders.

Every other subpackage may import it; it imports nothing else of ``autograder``.
"""
