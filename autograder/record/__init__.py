"""What a run writes down: the run log and the recorder (:mod:`.runlog`), batched gradebook writes
(:mod:`.gradebook_batch`).
"""
