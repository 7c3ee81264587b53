"""Moved to autograder.outputs.report; this alias goes in the next release."""
from autograder.outputs.report import *  # noqa: F403
