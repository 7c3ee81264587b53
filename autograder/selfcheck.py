"""Moved to autograder.outputs.selfcheck; this alias goes in the next release."""
from autograder.outputs.selfcheck import *  # noqa: F403
