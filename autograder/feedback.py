"""Moved to autograder.outputs.feedback; this alias goes in the next release."""
from autograder.outputs.feedback import *  # noqa: F401,F403
