"""What instructors and learners read: CSV exports, feedback, the class report (and its
template), terminal progress, the self-check.
"""
