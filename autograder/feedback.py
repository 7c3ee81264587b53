"""Moved to autograder.outputs.feedback; this alias goes in the next release."""
from autograder.outputs.feedback import *  # noqa: F403
