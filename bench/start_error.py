#!/usr/bin/env python3
"""Start error of the first broadcast: runs the end-to-end case (a real scheduler, three real
agents, a spoken clip scheduled ~5 s ahead through the CLI) N times and prints, over every
agent of every run, how far from the scheduled instant the first sample was heard.

usage: bench/start_error.py [RUNS]     (default 10; LOA_BIN_DIR=build dir, default ./build)"""

import json
import os
import statistics
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.dirname(here)
runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
results = tempfile.mktemp(prefix="loa-start-error-", suffix=".jsonl")
env = dict(os.environ, LOA_E2E_RESULTS=results,
           LOA_BIN_DIR=os.environ.get("LOA_BIN_DIR", os.path.join(top, "build")))
test = os.path.join(top, "tests/e2e/test_first_broadcast.py")
failed = 0
for i in range(runs):
    r = subprocess.run([sys.executable, test,
                        "FirstBroadcast.test_three_agents_air_on_time_and_report_once"],
                       env=env, capture_output=True, text=True)
    failed += r.returncode != 0
    print(f"run {i + 1}/{runs}: {'ok' if r.returncode == 0 else 'FAILED'}", flush=True)
errors = []
if os.path.exists(results):
    with open(results) as f:
        errors = [json.loads(line)["start_error_ms"] for line in f]
    os.remove(results)
if not errors:
    sys.exit("no measurements")
absolute = [abs(e) for e in errors]
print(f"start error over {len(errors)} agent starts in {runs} runs ({failed} failed runs):")
print(f"  median {statistics.median(errors):+.3f} ms, median |error| {statistics.median(absolute):.3f} ms,"
      f" worst |error| {max(absolute):.3f} ms, mean {statistics.mean(errors):+.3f} ms")
