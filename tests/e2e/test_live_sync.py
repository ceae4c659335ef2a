"""Live, end to end: a real scheduler relays a WAV "played as live" (a few tone bursts) to three
real agents whose own clocks are wrong by -2 s, 0 and +1.5 s ([clock] simulated_offset_ms).

Each frame is stamped with its capture time on the scheduler's clock (the host's); every agent
plays frame t at t + delay on its corrected clock. The sinks, aligned by true time as in
test_clock_sync.py, must hear each burst's onset within 5 ms of each other, and the latency from
capture (first capture time + the burst's offset in the WAV) to the sink must be the delay plus
under 30 ms."""

import json
import math
import os
import struct
import sys
import time
import unittest
import wave

sys.path.insert(0, os.path.dirname(__file__))
from loa_e2e import ProcessCase, Agent, Scheduler, read_wav, wait_for, workdir  # noqa: E402

STATIONS = [("30280", -2000), ("30283", 0), ("30285", 1500)]  # station id, simulated offset ms
DELAY_MS = 500
SKEW_MS = 5.0
EXTRA_LATENCY_MS = 30.0
RATE = 48000
BURSTS_S = [0.6, 1.7, 2.8, 3.9]  # onsets in the WAV
BURST_LEN_S = 0.25
LENGTH_S = 4.6
EXCHANGES_BEFORE_START = 5
RESULTS = os.environ.get("LOA_E2E_RESULTS")


def make_bursts(path):
    samples = [0.0] * int(LENGTH_S * RATE)
    for start in BURSTS_S:
        first = int(start * RATE)
        for i in range(int(BURST_LEN_S * RATE)):
            samples[first + i] = 0.5 * math.sin(2 * math.pi * 1000 * i / RATE)
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", int(s * 32767)) for s in samples))
    return path


def onsets(samples, rate, threshold=0.02, quiet_s=0.3):
    """Indices of the first loud sample after at least quiet_s of quiet."""
    out = []
    last_loud = -10 * rate
    gap = int(quiet_s * rate)
    for i, s in enumerate(samples):
        if abs(s) >= threshold:
            if i - last_loud >= gap:
                out.append(i)
            last_loud = i
    return out


class LiveSync(ProcessCase):
    def setUp(self):
        self.dir = workdir("e2e-live")
        self.procs = []
        self.scheduler = Scheduler(self.dir)
        self.procs.append(self.scheduler)
        self.wav = make_bursts(os.path.join(self.dir, "bursts.wav"))
        self.agents = []
        for sid, offset_ms in STATIONS:
            cfg = os.path.join(self.dir, f"{sid}.toml")
            self.scheduler.cli("station", "add", sid, "--name", f"Station {sid}",
                               "--agent-config", cfg)
            with open(cfg, "a") as f:
                f.write(f"\n[clock]\nsimulated_offset_ms = {offset_ms}\n")
            agent = Agent(self.dir, sid, cfg)
            agent.offset_ms = offset_ms
            self.procs.append(agent)
            self.agents.append(agent)

    def exchanges(self, agent):
        return [l for l in agent.log() if "link: clock exchange: offset" in l]

    def test_live_bursts_sound_in_step(self):
        for agent in self.agents:
            wait_for(lambda: len(self.exchanges(agent)) >= EXCHANGES_BEFORE_START, 30,
                     f"{EXCHANGES_BEFORE_START} clock exchanges of {agent.station_id}")
        args = ["live", "start", "--source", self.wav, "--delay-ms", str(DELAY_MS),
                "--title", "Trực tiếp"]
        for sid, _ in STATIONS:
            args += ["--station", sid]
        session = self.scheduler.cli_json(*args)
        first_capture_us = session["first_capture_us"]
        listed = self.scheduler.cli_json("live", "list")
        self.assertIn(session["id"], [s["id"] for s in listed])
        wait_for(lambda: len(self.scheduler.cli_json("asrun", "list")) >= 3,
                 LENGTH_S + 20, "3 as-run records of the live session")
        runs = self.scheduler.cli_json("asrun", "list")
        self.assertTrue(all(r["status"] == "completed" for r in runs), runs)

        heard = {}
        for agent in self.agents:
            with open(agent.sink + ".json") as f:
                meta = json.load(f)
            rate, samples = read_wav(agent.sink)
            found = onsets(samples, rate)
            self.assertEqual(len(found), len(BURSTS_S), f"bursts heard by {agent.station_id}")
            # The sidecar is on the agent's own clock: take its simulated offset out.
            heard[agent.station_id] = [meta["first_sample_utc_us"] - agent.offset_ms * 1000 +
                                       i * 1_000_000 / rate for i in found]
        skews_ms = []
        latencies_ms = []
        for b, offset_s in enumerate(BURSTS_S):
            times = [heard[sid][b] for sid, _ in STATIONS]
            skews_ms.append((max(times) - min(times)) / 1000.0)
            captured = first_capture_us + offset_s * 1_000_000
            latencies_ms += [(t - captured) / 1000.0 for t in times]
        figures = {"delay_ms": DELAY_MS, "skew_ms_max": round(max(skews_ms), 3),
                   "skew_ms": [round(s, 3) for s in skews_ms],
                   "latency_ms_min": round(min(latencies_ms), 3),
                   "latency_ms_max": round(max(latencies_ms), 3)}
        print(f"live sync: {json.dumps(figures)}", file=sys.stderr)
        if RESULTS:
            with open(RESULTS, "a") as f:
                f.write(json.dumps(figures) + "\n")
        self.assertLessEqual(max(skews_ms), SKEW_MS, figures)
        for latency in latencies_ms:
            self.assertGreaterEqual(latency, DELAY_MS - 1.0, figures)
            self.assertLess(latency, DELAY_MS + EXTRA_LATENCY_MS, figures)


if __name__ == "__main__":
    unittest.main(verbosity=2)
