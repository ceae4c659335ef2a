"""Live from a network stream, end to end: a real scheduler relays an Icecast-like MP3 stream
(served on 127.0.0.1 at its own bit rate, after a 1 s burst, as Icecast does) to two real
agents, then the stream stops sending.

The agents' sinks must hear every tone burst of the stream, spaced as in the stream (it is
taken at the pace it arrives: nothing skipped, nothing hurried), and the session must end by
itself with the reason "source stalled 3 s". A URL that answers 404 starts nothing."""

import http.server
import math
import os
import struct
import subprocess
import sys
import threading
import time
import unittest
import wave

sys.path.insert(0, os.path.dirname(__file__))
from loa_e2e import ProcessCase, Agent, Scheduler, read_wav, wait_for, workdir  # noqa: E402

STATIONS = ["30280", "30283"]
RATE = 44100
BURSTS_S = [0.5, 1.5, 2.5, 3.5]
BURST_LEN_S = 0.2
LENGTH_S = 4.2
BITRATE = 64000  # bits per second, constant
SPACING_TOLERANCE_S = 0.025


def make_stream(folder):
    wav = os.path.join(folder, "bursts.wav")
    samples = [0.0] * int(LENGTH_S * RATE)
    for start in BURSTS_S:
        first = int(start * RATE)
        for i in range(int(BURST_LEN_S * RATE)):
            samples[first + i] = 0.5 * math.sin(2 * math.pi * 1000 * i / RATE)
    with wave.open(wav, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", int(s * 32767)) for s in samples))
    mp3 = os.path.join(folder, "bursts.mp3")
    subprocess.run(["gst-launch-1.0", "-q", "filesrc", f"location={wav}", "!", "wavparse", "!",
                    "audioconvert", "!", "lamemp3enc", "target=bitrate", "cbr=true",
                    f"bitrate={BITRATE // 1000}", "!", "filesink", f"location={mp3}"],
                   check=True)
    with open(mp3, "rb") as f:
        return f.read()


class StreamServer:
    """/live.mp3: the bytes at their bit rate after a 1 s burst, then nothing (the connection
    stays open until close()); anything else: 404."""

    def __init__(self, body):
        self.release = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path != "/live.mp3":
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "audio/mpeg")
                self.send_header("icy-name", "Dai PTTH tinh")
                self.end_headers()
                per_second = BITRATE // 8
                try:
                    self.wfile.write(body[:per_second])  # the burst on connect
                    sent = per_second
                    begin = time.monotonic()
                    while sent < len(body):
                        # The source's own pace: one chunk per 100 ms of audio.
                        due = begin + (sent - per_second) / per_second
                        time.sleep(max(0.0, due - time.monotonic()))
                        chunk = body[sent:sent + per_second // 10]
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        sent += len(chunk)
                    outer.release.wait(60)  # stalls: sends nothing more
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def onsets(samples, rate, threshold=0.05, quiet_s=0.3):
    out = []
    last_loud = -10 * rate
    gap = int(quiet_s * rate)
    for i, s in enumerate(samples):
        if abs(s) >= threshold:
            if i - last_loud >= gap:
                out.append(i)
            last_loud = i
    return out


class LiveStream(ProcessCase):
    def setUp(self):
        self.dir = workdir("e2e-live-stream")
        self.procs = []
        self.server = None
        self.scheduler = Scheduler(self.dir)
        self.procs.append(self.scheduler)
        self.server = StreamServer(make_stream(self.dir))
        self.agents = []
        for sid in STATIONS:
            cfg = os.path.join(self.dir, f"{sid}.toml")
            self.scheduler.cli("station", "add", sid, "--name", f"Station {sid}",
                               "--agent-config", cfg)
            agent = Agent(self.dir, sid, cfg)
            self.procs.append(agent)
            self.agents.append(agent)

    def tearDown(self):
        if self.server:
            self.server.close()
        super().tearDown()

    def test_a_stream_is_relayed_at_its_pace_and_a_stall_ends_it(self):
        for agent in self.agents:
            wait_for(lambda: any("link: clock exchange: offset" in l for l in agent.log()), 30,
                     f"a clock exchange of {agent.station_id}")
        missing = self.scheduler.cli("live", "start", "--source", self.server.url("/nothing"),
                                     "--station", STATIONS[0], check=False)
        self.assertNotEqual(missing.returncode, 0)
        self.assertIn("Not Found (404)", missing.stderr + missing.stdout)
        self.assertEqual(self.scheduler.cli_json("live", "list"), [])

        args = ["live", "start", "--source", self.server.url("/live.mp3"), "--title",
                "Tiếp sóng đài tỉnh"]
        for sid in STATIONS:
            args += ["--station", sid]
        session = self.scheduler.cli_json(*args)
        self.assertEqual(session["state"], "live")

        def ended():
            for s in self.scheduler.cli_json("live", "list"):
                if s["id"] == session["id"] and s["state"] != "live":
                    return s
            return None

        over = wait_for(ended, LENGTH_S + 20, "the live session to end")
        self.assertEqual(over["state"], "ended", over)
        self.assertEqual(over["stop_reason"], "source stalled 3 s", over)
        wait_for(lambda: len(self.scheduler.cli_json("asrun", "list")) >= len(STATIONS), 20,
                 "an as-run record of the live session per station")

        for agent in self.agents:
            rate, samples = read_wav(agent.sink)
            found = onsets(samples, rate)
            self.assertEqual(len(found), len(BURSTS_S), f"bursts heard by {agent.station_id}")
            for b in range(1, len(found)):
                spacing = (found[b] - found[b - 1]) / rate
                expected = BURSTS_S[b] - BURSTS_S[b - 1]
                self.assertAlmostEqual(spacing, expected, delta=SPACING_TOLERANCE_S,
                                       msg=f"{agent.station_id} burst {b}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
