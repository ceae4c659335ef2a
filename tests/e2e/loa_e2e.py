"""Helpers for Loa's end-to-end tests: real loa-scheduler and loa-agent processes on 127.0.0.1,
driven through the real `loa` CLI, with audio read back from the agents' clocked file sinks.

Nothing here sleeps to synchronise: every wait is for an observable event (a ready file, a log
line, an API answer, a file on disk), checked at short intervals up to a deadline."""

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
import wave

BIN = os.environ.get("LOA_BIN_DIR", os.path.join(os.path.dirname(__file__), "../../build"))


def binary(name):
    for sub in ("", "scheduler", "station-agent", "cli"):
        path = os.path.join(BIN, sub, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"{name} not found under {BIN} (set LOA_BIN_DIR)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


class Process:
    """A daemon whose stderr is collected line by line so tests can await log lines."""

    def __init__(self, name, args, env=None):
        self.name = name
        self.args = args
        self.lines = []
        self._lock = threading.Lock()
        self.proc = subprocess.Popen(args, stdout=subprocess.STDOUT if False else subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env=env)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def log(self):
        with self._lock:
            return list(self.lines)

    def wait_log(self, text, timeout=15):
        return wait_for(lambda: any(text in l for l in self.log()), timeout,
                        f"'{text}' in the log of {self.name}")

    def kill(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)

    def dump(self):
        return f"--- {self.name} ---\n" + "\n".join(self.log()[-60:])


class Scheduler(Process):
    def __init__(self, workdir):
        self.state = os.path.join(workdir, "scheduler")
        self.ready = os.path.join(workdir, "scheduler.ready.json")
        self.api_port = free_port()
        self.link_port = free_port()
        self.url = f"http://127.0.0.1:{self.api_port}"
        self.create_admin()
        super().__init__("loa-scheduler", [
            binary("loa-scheduler"), "--state-dir", self.state,
            "--api-listen", f"127.0.0.1:{self.api_port}",
            "--link-listen", f"tcp://127.0.0.1:{self.link_port}",
            "--link-public-endpoint", f"tcp://127.0.0.1:{self.link_port}",
            "--ready-file", self.ready, "--log-level", "debug"])
        wait_for(lambda: os.path.exists(self.ready), 20, "the scheduler's ready file")
        self.token = self.login(self.ADMIN, self.PASSWORD)

    ADMIN = "admin"
    PASSWORD = "e2e-admin-password"

    def create_admin(self):
        """The first admin, as an operator makes it (loa-scheduler --create-admin); kept when the
        state folder has it from an earlier start."""
        os.makedirs(self.state, exist_ok=True)
        self.password_file = os.path.join(os.path.dirname(self.state), "admin.password")
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.PASSWORD + "\n")
        r = subprocess.run([binary("loa-scheduler"), "--state-dir", self.state, "--create-admin",
                            self.ADMIN, "--password-file", self.password_file],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0 and "exists already" not in r.stderr:
            raise RuntimeError(f"loa-scheduler --create-admin failed: {r.stderr}{r.stdout}")

    def login(self, user, password):
        """A bearer token for `user` (POST /api/v1/login)."""
        body = json.dumps({"user": user, "password": password}).encode()
        req = urllib.request.Request(self.url + "/api/v1/login", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())["token"]

    def request(self, method, path, body=None, token=None):
        """(status, parsed JSON or None) of an authenticated API request."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "Authorization": f"Bearer {token or self.token}",
            "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                raw = r.read()
                return r.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, json.loads(raw) if raw else None

    def get(self, path):
        req = urllib.request.Request(self.url + path,
                                     headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def cli_env(self):
        """The environment for `loa`: the admin's token in $LOA_TOKEN."""
        return dict(os.environ, LOA_TOKEN=self.token)

    def cli(self, *args, check=True):
        cmd = [binary("loa"), "--server", self.url, *args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=self.cli_env())
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr}{r.stdout}")
        return r

    def cli_json(self, *args):
        return json.loads(self.cli("--json", *args).stdout)


class Agent(Process):
    def __init__(self, workdir, station_id, config, name=None):
        self.station_id = station_id
        self.config = config
        self.state = os.path.join(workdir, f"agent-{station_id}")
        self.workdir = workdir
        self.run = 0
        self.sink = None
        self._start(name)

    def _start(self, name=None):
        self.run += 1
        self.sink = os.path.join(self.workdir, f"sink-{self.station_id}-{self.run}.wav")
        self.ready = os.path.join(self.workdir, f"agent-{self.station_id}-{self.run}.ready.json")
        super().__init__(name or f"loa-agent {self.station_id}", [
            binary("loa-agent"), "--config", self.config, "--state-dir", self.state,
            "--output", f"file:{self.sink}", "--ready-file", self.ready,
            "--log-level", "debug"])
        wait_for(lambda: os.path.exists(self.ready), 20, f"agent {self.station_id} ready file")

    def restart(self, sig=signal.SIGKILL):
        self.kill(sig)
        self._start()


def make_speech(path, text, voice="vi", seconds=None):
    """A spoken clip made by espeak-ng (22,050 Hz mono WAV)."""
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", path, text], check=True)
    return path


def read_wav(path):
    """(sample rate, list of floats) of a 16-bit mono WAV."""
    with wave.open(path, "rb") as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2, path
        frames = w.readframes(w.getnframes())
        rate = w.getframerate()
    count = len(frames) // 2
    samples = struct.unpack(f"<{count}h", frames[:count * 2])
    return rate, [s / 32768.0 for s in samples]


def first_loud(samples, threshold=0.02, start=0):
    for i in range(start, len(samples)):
        if abs(samples[i]) >= threshold:
            return i
    return None


def sink_onset_us(sink_path, threshold=0.02):
    """UTC microseconds at which the first sample louder than `threshold` was heard."""
    with open(sink_path + ".json") as f:
        meta = json.load(f)
    rate, samples = read_wav(sink_path)
    idx = first_loud(samples, threshold)
    if idx is None:
        return None
    return meta["first_sample_utc_us"] + idx * 1_000_000 / rate


def clip_onset_us(clip_path, threshold=0.02):
    rate, samples = read_wav(clip_path)
    idx = first_loud(samples, threshold)
    return idx * 1_000_000 / rate


def iso_utc(unix_s):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(unix_s)) + "Z"


def workdir(prefix):
    return tempfile.mkdtemp(prefix=f"loa-{prefix}-")


class ProcessCase(unittest.TestCase):
    """A test that starts processes (self.procs) in a work folder (self.dir): tearDown kills
    them, newest first; on failure it prints their logs and keeps the folder, else removes it."""

    def tearDown(self):
        result = self._outcome.result
        failed = any(test is self for test, _ in result.errors + result.failures)
        for p in reversed(self.procs):
            p.kill()
        if failed:
            for p in self.procs:
                print(p.dump(), file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
