"""The worker setup: what every grading worker is told before its first job.

The executors send it (JSON) as the first line to each grading worker
(:mod:`autograder.execute.worker`): how to run kernels, what the zygote imports
ahead, the sandbox's limits.
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from autograder.core.options import Autograder


def grader_setup(source_notebooks: list[Path], options: Autograder, **extra: object) -> dict:
    """What every grading worker is told before its first job (JSON): how to run kernels,
    what its zygote imports ahead (from the assignments' ``source_notebooks``), the sandbox's limits."""
    from autograder.isolate import sandbox
    from autograder.isolate.kernels import plan_preload

    preload, forget = plan_preload(list(source_notebooks))
    limits = sandbox.Limits(memory=options.memory_bytes, writable=options.writable_bytes)
    limits.output = options.output_bytes
    return {"notebook_timeout": options.notebook_timeout, "warm": not options.cold, "preload": preload,
            "forget": forget, "memory_limit": options.memory_bytes, "sandbox": not options.unsandboxed,
            "limits": asdict(limits), **extra}
