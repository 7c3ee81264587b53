"""Moved to autograder.plan.intake; this alias goes in the next release."""
from autograder.plan.intake import *  # noqa: F403
