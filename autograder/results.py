"""Moved to autograder.core.results; this alias goes in the next release."""
from autograder.core.results import *  # noqa: F403
