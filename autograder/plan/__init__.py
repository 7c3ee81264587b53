"""What to grade and why: importing submissions with their fingerprints (:mod:`.intake`),
the plan of a run (:mod:`.planner`).
"""
