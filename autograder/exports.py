"""Moved to autograder.outputs.exports; this alias goes in the next release."""
from autograder.outputs.exports import *  # noqa: F403
