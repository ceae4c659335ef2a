"""An emergency, end to end: a real scheduler and two real agents on 127.0.0.1, a district item
(a 300 Hz tone) playing on both when POST /api/v1/emergency starts an alarm (1500 Hz beeps of
0.25 s every 0.5 s) on them.

The first airing goes out at once as a live session ([emergency] live_delay_ms, 200 ms by
default) that covers the timeline item of the same airing (lead_s = 3 s later). Measured from
each agent's clocked file sink: the first beep is heard within the delay plus a small margin of
the API call; the beeps are heard once (every onset on one 0.5 s grid, none after the stop); the
district item pauses and, after `loa emergency stop`, resumes where it was and plays to its end;
the as-run log shows the emergency once per station ("aired live in session E1")."""

import json
import math
import os
import struct
import sys
import time
import wave

sys.path.insert(0, os.path.dirname(__file__))
from loa_e2e import ProcessCase, Agent, Scheduler, iso_utc, read_wav, wait_for, workdir  # noqa: E402

STATIONS = ["30280", "30283"]
RATE = 48000
DISTRICT_S = 10.0
ALARM_S = 8.0
BEEP_S = 0.25
PERIOD_S = 0.5
DELAY_MS = 200
MARGIN_MS = 150.0  # the API call, its transaction and the link, on a loaded 2-core machine
STOP_AFTER_S = 4.5  # after the covered timeline item's start (3 s after the call)
WINDOW = 480  # 10 ms
RESULTS = os.environ.get("LOA_E2E_RESULTS")


def write_wav(path, samples):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", int(max(-1, min(1, s)) * 32767))
                               for s in samples))
    return path


def tone(path, freq, seconds, beep=None):
    out = []
    for i in range(int(seconds * RATE)):
        t = i / RATE
        on = beep is None or (t % PERIOD_S) < beep
        out.append(0.4 * math.sin(2 * math.pi * freq * t) if on else 0.0)
    return write_wav(path, out)


def goertzel(samples, start, n, freq, rate):
    k = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples[start:start + n]:
        s0 = x + k * s1 - s2
        s2, s1 = s1, s0
    return math.sqrt(max(0.0, s1 * s1 + s2 * s2 - k * s1 * s2)) / n


def windows(samples, rate, freq, threshold=0.02):
    """For each 10 ms window: is `freq` there?"""
    return [goertzel(samples, i, WINDOW, freq, rate) >= threshold
            for i in range(0, len(samples) - WINDOW, WINDOW)]


def runs(flags):
    """(first, length) of each run of True."""
    out = []
    start = None
    for i, f in enumerate(flags + [False]):
        if f and start is None:
            start = i
        elif not f and start is not None:
            out.append((start, i - start))
            start = None
    return out


class EmergencyLive(ProcessCase):
    def setUp(self):
        self.dir = workdir("e2e-emergency")
        self.procs = []
        self.scheduler = Scheduler(self.dir)
        self.procs.append(self.scheduler)
        self.agents = []
        for sid in STATIONS:
            cfg = os.path.join(self.dir, f"{sid}.toml")
            self.scheduler.cli("station", "add", sid, "--name", f"Station {sid}",
                               "--agent-config", cfg)
            agent = Agent(self.dir, sid, cfg)
            self.procs.append(agent)
            self.agents.append(agent)
        for agent in self.agents:
            wait_for(lambda: self.scheduler.get(f"/api/v1/stations/{agent.station_id}")["online"],
                     20, f"station {agent.station_id} online")

    def add_asset(self, path):
        out = self.scheduler.cli_json("asset", "add", path)
        return (out[0] if isinstance(out, list) else out)["id"]

    def test_emergency_airs_live_once_and_the_district_item_resumes(self):
        district = self.add_asset(tone(os.path.join(self.dir, "district.wav"), 300, DISTRICT_S))
        alarm = self.add_asset(tone(os.path.join(self.dir, "alarm.wav"), 1500, ALARM_S, BEEP_S))
        at = int(time.time()) + 4
        self.scheduler.cli("schedule", "add", "--asset", district, "--at", iso_utc(at),
                           "--stations", ",".join(STATIONS), "--class", "district",
                           "--title", "Chương trình huyện")
        wait_for(lambda: time.time() > at + 1.5, 10, "the district item on air")

        called = time.time()
        status, session = self.scheduler.request(
            "POST", "/api/v1/emergency",
            {"stations": STATIONS, "asset_id": alarm, "title": "Báo động lũ"})
        self.assertEqual(status, 201, session)
        self.assertTrue(session["live_session"].startswith("E"), session)
        listed = self.scheduler.cli_json("emergency", "list")
        self.assertEqual(listed[0]["live_session"], session["live_session"])
        wait_for(lambda: time.time() > called + STOP_AFTER_S, 10, "the stop time")
        self.scheduler.cli("emergency", "stop", str(session["id"]))

        def records():
            return self.scheduler.cli_json("asrun", "list")
        wait_for(lambda: len(records()) >= 2 * len(STATIONS), DISTRICT_S + 20,
                 "as-run records of the emergency and the district item")
        runs_ = records()
        emergency = [r for r in runs_ if r["asset_id"] == alarm]
        self.assertEqual(sorted(r["station_id"] for r in emergency), sorted(STATIONS), runs_)
        for r in emergency:
            self.assertEqual(r["status"], "completed", r)
            self.assertIn(f"aired live in session {session['live_session']}", r["reason"], r)
        for r in (r for r in runs_ if r["asset_id"] == district):
            self.assertEqual(r["status"], "completed", r)
            self.assertIn("paused", r["reason"], r)

        latencies = []
        for agent in self.agents:
            with open(agent.sink + ".json") as f:
                meta = json.load(f)
            rate, samples = read_wav(agent.sink)
            t0 = meta["first_sample_utc_us"] / 1e6
            beeps = runs(windows(samples, rate, 1500))
            self.assertTrue(beeps, f"no emergency audio in {agent.sink}")
            first = t0 + beeps[0][0] * WINDOW / rate
            latency_ms = (first - called) * 1000.0
            latencies.append(latency_ms)
            self.assertGreaterEqual(latency_ms, DELAY_MS - 5, agent.station_id)
            self.assertLess(latency_ms, DELAY_MS + MARGIN_MS, agent.station_id)
            # Heard once: every beep on the grid of the first, none after the stop.
            for start, length in beeps:
                offset = (start - beeps[0][0]) * WINDOW / rate
                self.assertLess(abs(offset - round(offset / PERIOD_S) * PERIOD_S), 0.03,
                                f"{agent.station_id}: a beep off the grid at +{offset:.2f} s")
            last = t0 + (beeps[-1][0] + beeps[-1][1]) * WINDOW / rate
            self.assertLess(last, called + STOP_AFTER_S + 1.0, agent.station_id)
            # The district item: all of it heard, before and after the emergency.
            heard_s = sum(windows(samples, rate, 300)) * WINDOW / rate
            self.assertAlmostEqual(heard_s, DISTRICT_S, delta=0.15, msg=agent.station_id)
        figures = {"delay_ms": DELAY_MS, "latency_ms": [round(x, 1) for x in latencies]}
        print(f"emergency live: {json.dumps(figures)}", file=sys.stderr)
        if RESULTS:
            with open(RESULTS, "a") as f:
                f.write(json.dumps(figures) + "\n")


if __name__ == "__main__":
    import unittest
    unittest.main(verbosity=2)
