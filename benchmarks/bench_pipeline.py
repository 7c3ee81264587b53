"""Where does the reference pipeline's time go? Import, data, build, train, predict.

Each part is timed in one fresh interpreter (so imports are cold), repeated
``--runs`` times; the script prints the median seconds per part and its share of
the total, plus the bare interpreter start-up measured in the same run as the baseline.

    .venv/bin/python benchmarks/bench_pipeline.py [--runs 3]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

PROBE = r"""
import json, time
t = {}
start = time.perf_counter()
import course                                  # quiet env + TensorFlow + Keras + seeding
t["import course (TensorFlow, Keras)"] = time.perf_counter() - start
from autograder.coursework.reference import build_reference_model, EPOCHS, BATCH_SIZE
start = time.perf_counter()
x, y = course.load_data()
t["generate the 1000 x 20 data"] = time.perf_counter() - start
start = time.perf_counter()
model = build_reference_model(x)               # adapt + Sequential + compile
t["adapt, build and compile"] = time.perf_counter() - start
start = time.perf_counter()
history = model.fit(x, y, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=0)
t["fit, 5 epochs"] = time.perf_counter() - start
start = time.perf_counter()
model.predict(x, verbose=0)
t["predict 1000 samples"] = time.perf_counter() - start
print(json.dumps(t))
"""


def interpreter_start() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - start


def one_run() -> dict[str, float]:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    parts = json.loads(result.stdout.strip().splitlines()[-1])
    parts["whole process"] = time.perf_counter() - start
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    baseline = statistics.median(interpreter_start() for _ in range(runs))
    samples = [one_run() for _ in range(runs)]
    parts = {name: statistics.median(s[name] for s in samples) for name in samples[0]}
    total = parts.pop("whole process")
    print(f"reference pipeline, median of {runs} fresh processes (seconds, share of the whole process)")
    print(f"  {'bare interpreter start (baseline)':38s} {baseline:7.3f}  {baseline / total:6.1%}")
    for name, seconds in parts.items():
        print(f"  {name:38s} {seconds:7.3f}  {seconds / total:6.1%}")
    other = total - baseline - sum(parts.values())
    print(f"  {'other (exit, teardown)':38s} {other:7.3f}  {other / total:6.1%}")
    print(f"  {'whole process':38s} {total:7.3f}  = {total / baseline:.1f}x the bare interpreter")


if __name__ == "__main__":
    main()
