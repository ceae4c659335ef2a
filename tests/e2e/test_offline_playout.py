"""Offline playout, end to end: an agent keeps airing its timeline while the scheduler is down.

A real scheduler and a real agent on 127.0.0.1. Four items are scheduled over the next minute;
once the agent has acknowledged the timeline and verified the asset, the scheduler is killed
(SIGKILL). Every item must still air on time (measured in the agent's clocked file sink), and the
as-run records wait in the agent's outbox. When the scheduler comes back on the same ports, the
backlog must arrive exactly once: one COMPLETED record per item, and no more however the outbox
resends."""

import json
import os
import signal
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from loa_e2e import (ProcessCase, Agent, Process, Scheduler, clip_onset_us, first_loud, iso_utc,  # noqa
                     make_speech, read_wav, wait_for, workdir)

STATION = "30280"
TOLERANCE_MS = 20.0
# Seconds from scheduling to each item: the first leaves time to push, download and kill.
OFFSETS_S = [14, 24, 34, 44]


def outbox_depth(agent):
    con = sqlite3.connect(os.path.join(agent.state, "agent.db"), timeout=5)
    try:
        return con.execute("select count(*) from outbox").fetchone()[0]
    finally:
        con.close()


def onset_after_us(sink_path, from_us, threshold=0.02):
    """UTC µs of the first sample louder than `threshold` heard at or after `from_us`."""
    with open(sink_path + ".json") as f:
        first_us = json.load(f)["first_sample_utc_us"]
    rate, samples = read_wav(sink_path)
    start = max(0, int((from_us - first_us) * rate / 1_000_000))
    idx = first_loud(samples, threshold, start)
    return None if idx is None else first_us + idx * 1_000_000 / rate


class OfflinePlayout(ProcessCase):
    def setUp(self):
        self.dir = workdir("e2e-offline")
        self.procs = []
        self.scheduler = Scheduler(self.dir)
        self.procs.append(self.scheduler)
        cfg = os.path.join(self.dir, f"{STATION}.toml")
        self.scheduler.cli("station", "add", STATION, "--name", "Phường Mỹ Bình",
                           "--agent-config", cfg)
        self.agent = Agent(self.dir, STATION, cfg)
        self.procs.append(self.agent)
        wait_for(lambda: self.scheduler.get(f"/api/v1/stations/{STATION}")["online"], 20,
                 "the station online")
        self.clip = make_speech(os.path.join(self.dir, "clip.wav"),
                                "Loa phường Mỹ Bình xin thông báo.")

    def restart_scheduler(self):
        """The same scheduler (state, keys, ports) started again."""
        old = self.scheduler
        os.remove(old.ready)
        proc = Process("loa-scheduler (restarted)", old.args)
        self.procs.append(proc)
        wait_for(lambda: os.path.exists(old.ready), 20, "the restarted scheduler's ready file")
        return proc

    def test_agent_airs_every_item_while_the_scheduler_is_down_and_reports_once_after(self):
        out = self.scheduler.cli_json("asset", "add", self.clip)
        asset = out[0] if isinstance(out, list) else out
        self.assertLess(asset["duration_ms"], 8000, "items must not overlap")
        now = int(time.time())
        times = [now + s for s in OFFSETS_S]
        for i, at in enumerate(times):
            self.scheduler.cli("schedule", "add", "--asset", asset["id"], "--at", iso_utc(at),
                               "--stations", STATION, "--title", f"Thông báo {i + 1}")

        # The agent holds the newest revision and the verified asset: cut the scheduler off.
        newest = self.scheduler.get(f"/api/v1/stations/{STATION}")["timeline_revision"]
        wait_for(lambda: self.scheduler.get(f"/api/v1/stations/{STATION}")["acked_revision"] >=
                 newest, 15, f"the agent's ack of revision {newest}")
        asset_file = os.path.join(self.agent.state, "assets", asset["id"] + ".opus")
        wait_for(lambda: os.path.exists(asset_file), 15, "the asset verified on the agent")
        self.assertLess(time.time(), times[0] - 2, "the scheduler must go before the first item")
        self.scheduler.kill(signal.SIGKILL)
        killed_at = time.time()

        # Every item airs, on time, with nobody to report to.
        wait_for(lambda: outbox_depth(self.agent) >= len(times), times[-1] - time.time() + 20,
                 "every item's as-run record in the agent's outbox")
        self.assertEqual(outbox_depth(self.agent), len(times))
        offset_us = clip_onset_us(self.clip)
        for at in times:
            self.assertGreater(at, killed_at)
            expected_us = at * 1_000_000 + offset_us
            heard_us = onset_after_us(self.agent.sink, expected_us - 1_000_000)
            self.assertIsNotNone(heard_us, f"the item at {iso_utc(at)} was not heard")
            error_ms = (heard_us - expected_us) / 1000.0
            self.assertLessEqual(abs(error_ms), TOLERANCE_MS,
                                 f"the item at {iso_utc(at)} started {error_ms:.2f} ms off")

        # The scheduler comes back: the backlog arrives, each record once.
        restarted = self.restart_scheduler()
        wait_for(lambda: outbox_depth(self.agent) == 0, 60, "the agent's outbox acknowledged")
        records = self.scheduler.cli_json("asrun", "list", "--station", STATION)
        self.assertEqual(len(records), len(times), records)
        self.assertEqual(sorted(r["status"] for r in records), ["completed"] * len(times))
        self.assertEqual(len({r["item_id"] for r in records}), len(times))
        self.assertEqual(len({r["record_id"] for r in records}), len(times))
        self.assertTrue(any("as-run records" in line for line in restarted.log()))


if __name__ == "__main__":
    unittest.main(verbosity=2)
