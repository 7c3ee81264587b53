"""Moved to autograder.core.options; this alias goes in the next release."""
from autograder.core.options import *  # noqa: F403
