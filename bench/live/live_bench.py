#!/usr/bin/env python3
"""Live latency and inter-agent skew: a real loa-scheduler and real agents, next to Debian's
Snapcast (snapserver with a pipe source, N snapclients) in the same run.

Loa runs twice, each time with every agent writing its own clocked file sink:
- the 168 stations of An Giang in one `loa-agent --fleet` process (the product's many-agents
  shape; the fleet's file sinks render 100 ms blocks);
- `--processes` N stations (default 50: what 2 cores bear) as one loa-agent process each (the
  standard file sink: 10 ms blocks, like a sound card's period).
Each plays one live session from a WAV of sharp 1 kHz tone bursts to its stations (`loa live
start --unit 89`), at a delay of 500 ms and again at 150 ms. Sample s of the WAV counts as
captured at first_capture + s / 48000 (a frame is released once its 20 ms have passed). Each sink
states the true time of its first sample (<file>.json; the fleet's clocks are the host's), so the
onset of burst k in an agent's sink has a true time; its latency is that minus the onset's
capture time (mouth to loudspeaker), and the skew of burst k is the spread of those times over
the agents (max - min, and each agent against the median).

Snapcast: snapserver (pipe source, 48000:16:2, flac, chunk_ms 20, everything on 127.0.0.1) fed
the same WAV as PCM, paced in real time (20 ms chunks; a chunk's samples count as captured in the
20 ms before it is written, as for Loa), with `buffer` 1000 ms (the default) and 150 ms; N
snapclients with `--player file:filename=FIFO`. The file player writes, every 50 ms, the block
that is due at the sound card 10 ms later and flushes it at once: the bench reads each client's
FIFO with epoll and stamps each block's arrival, so sample j of a block sounded at arrival +
10 ms + j / 48000 s (the stamp's own jitter, a fraction of a millisecond, is part of the figure).

Prints latency minus delay (or buffer) median/p99 and skew p50/p99/max for each, side by side.

The players' underrun counts (from the as-run log lines) are printed too, and for Snapcast how
much audio sat in its input pipe as the onsets went in (it adds to Snapcast's latency).

usage: bench/live/live_bench.py [--agents N] [--processes N] [--clients N] [--no-loa]
       [--no-snapcast]   (LOA_BIN_DIR = build dir, default ./build; defaults: 168 fleet
       agents, 50 agent processes, 30 snapclients)"""

import argparse
import array
import bisect
import fcntl
import json
import math
import os
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import wave

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.dirname(os.path.dirname(here))
sys.path.insert(0, os.path.join(top, "tests", "e2e"))
os.environ.setdefault("LOA_BIN_DIR", os.path.join(top, "build"))
from loa_e2e import Process, Scheduler, binary, free_port, wait_for  # noqa: E402

RATE = 48000
LEAD_S = 0.5
BURST_EVERY_S = 0.8
BURSTS = 12
BURST_LEN_S = 0.15
THRESHOLD = 0.02
LOA_DELAYS_MS = (500, 150)
SNAP_BUFFERS_MS = (1000, 150)
UNIT = "89"  # An Giang: the province and every station under it


def make_bursts(path):
    """The programme: BURSTS bursts of a 1 kHz tone, each starting at phase 0 (a sharp onset)."""
    length = LEAD_S + BURSTS * BURST_EVERY_S + 0.5
    samples = array.array("h", bytes(2 * int(length * RATE)))
    for k in range(BURSTS):
        first = int((LEAD_S + k * BURST_EVERY_S) * RATE)
        for i in range(int(BURST_LEN_S * RATE)):
            samples[first + i] = int(0.5 * 32767 * math.sin(2 * math.pi * 1000 * i / RATE))
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())
    return [first_loud(samples, 0, len(samples), k) for k in range(BURSTS)]


def first_loud(samples, begin, end, k=None):
    """Index of the first sample louder than THRESHOLD in [begin, end) (with k: of burst k)."""
    if k is not None:
        begin = int((LEAD_S + k * BURST_EVERY_S) * RATE) - RATE // 100
        end = begin + RATE // 10
    limit = int(THRESHOLD * 32768)
    for i in range(max(0, begin), min(end, len(samples))):
        if abs(samples[i]) >= limit:
            return i
    return None


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


def figures(latency_ms, skews_ms, vs_median_ms, nominal_ms, listeners, heard, expected):
    extra = [x - nominal_ms for x in latency_ms]
    if not extra:
        return {"nominal_ms": nominal_ms, "listeners": listeners, "onsets_heard": heard,
                "onsets_expected": expected}
    return {"nominal_ms": nominal_ms, "listeners": listeners, "onsets_heard": heard,
            "onsets_expected": expected,
            "latency_extra_median": statistics.median(extra), "latency_extra_p99": pct(extra, 99),
            "skew_p50": pct(skews_ms, 50), "skew_p99": pct(skews_ms, 99), "skew_max": max(skews_ms),
            "vs_median_p50": pct(vs_median_ms, 50), "vs_median_p99": pct(vs_median_ms, 99),
            "vs_median_max": max(vs_median_ms)}


def skew_figures(heard_us, capture_us, nominal_ms, listeners):
    """heard_us: {listener: [true time of burst k or None]}; capture_us: [capture time of k]."""
    latency, skews, vs_median = [], [], []
    heard = 0
    for k, captured in enumerate(capture_us):
        times = [h[k] for h in heard_us.values() if h[k] is not None]
        heard += len(times)
        if len(times) < 2:
            continue
        latency += [(t - captured) / 1000.0 for t in times]
        skews.append((max(times) - min(times)) / 1000.0)
        median = statistics.median(times)
        vs_median += [abs(t - median) / 1000.0 for t in times]
    return figures(latency, skews, vs_median, nominal_ms, listeners, heard,
                   len(capture_us) * len(heard_us))


def cpu_seconds(pid):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / 1e9


# --- Loa ---------------------------------------------------------------------------------------

def start_fleet(work, scheduler, count, processes):
    agents = os.path.join(work, "agents")
    out = os.path.join(work, "out")
    os.makedirs(out)
    scheduler.cli("unit", "import", os.path.join(top, "data", "angiang-2019-admin-units.csv"))
    scheduler.cli("station", "provision", "--all", "--out", agents, "--scheduler-endpoint",
                  f"tcp://127.0.0.1:{scheduler.link_port}")
    configs = sorted(os.listdir(agents))
    for name in configs[count:]:
        os.remove(os.path.join(agents, name))
    for name in configs[:count]:
        sid = name[:-len(".toml")]
        path = os.path.join(agents, name)
        with open(path) as f:
            text = f.read()
        text = re.sub(r"(?m)^state_dir = .*$", f'state_dir = "{work}/stations/{sid}"', text)
        text = re.sub(r'(?m)^output = "portaudio"$',
                      f'output = "file"\nfile = "{out}/{sid}.wav"', text)
        with open(path, "w") as f:
            f.write(text)
    stations = [n[:-len(".toml")] for n in configs[:count]]
    if processes:
        # One loa-agent per station, each with the standard 10 ms file-sink blocks.
        procs = []
        for sid in stations:
            ready = os.path.join(work, f"{sid}.ready")
            procs.append(Process(f"loa-agent {sid}", [
                binary("loa-agent"), "--config", os.path.join(agents, f"{sid}.toml"),
                "--ready-file", ready]))
            procs[-1].ready = ready
        wait_for(lambda: all(os.path.exists(p.ready) for p in procs), 300, "every agent ready")
    else:
        ready = os.path.join(work, "fleet.ready")
        procs = [Process("loa-agent --fleet", [binary("loa-agent"), "--fleet", agents,
                                               "--ready-file", ready])]
        wait_for(lambda: os.path.exists(ready), 120, "the fleet's ready file")
    wait_for(lambda: scheduler.get("/api/v1/health")["online"] >= len(stations), 300,
             f"{len(stations)} stations online")
    return procs, stations, out


def sink_onset_us(path, meta, due_us):
    """True time of the first loud sample of `path` within -40..+120 ms of `due_us`."""
    first_us = meta["first_sample_utc_us"]
    begin = int((due_us - 40_000 - first_us) * RATE / 1e6)
    n = int(0.16 * RATE)
    with wave.open(path, "rb") as w:
        if begin < 0 or begin + n > w.getnframes():
            return None
        w.setpos(begin)
        samples = array.array("h", w.readframes(n))
    i = first_loud(samples, 0, len(samples))
    return None if i is None else first_us + (begin + i) * 1e6 / RATE


def measure_loa(work, wav, onsets, count, processes):
    scheduler = Scheduler(work)
    procs = [scheduler]
    results = []
    try:
        t0 = time.monotonic()
        agents, stations, out = start_fleet(work, scheduler, count, processes)
        procs += agents
        how = "processes" if processes else "agents in one loa-agent --fleet"
        print(f"  loa: {len(stations)} {how} running and linked "
              f"({time.monotonic() - t0:.1f} s for provisioning and start)", flush=True)
        # Every agent of the fleet runs on the host's clock (no simulated offset): a few clock
        # exchanges (one a second at first) settle each link's estimate.
        time.sleep(5)
        sessions = []
        for delay in LOA_DELAYS_MS:
            cpu0, w0 = sum(cpu_seconds(a.proc.pid) for a in agents), time.monotonic()
            session = scheduler.cli_json("live", "start", "--source", wav, "--unit", UNIT,
                                         "--delay-ms", str(delay), "--title", f"bench {delay}")
            item = "live-" + session["id"]
            done = lambda: len([r for r in scheduler.cli_json("asrun", "list", "--limit", "5000")
                                if r["item_id"] == item]) >= len(stations)
            wait_for(done, BURSTS * BURST_EVERY_S + 60, f"{len(stations)} as-runs of {item}")
            cpu = (sum(cpu_seconds(a.proc.pid) for a in agents) - cpu0) / (
                time.monotonic() - w0) * 100
            print(f"  loa: session at {delay} ms played by {len(stations)} agents "
                  f"(agents' CPU {cpu:.0f} % of one core meanwhile)", flush=True)
            sessions.append((delay, session["first_capture_us"]))
        underruns = []
        for a in agents:
            a.kill()
            underruns += [int(m.group(1)) for l in a.log()
                          if (m := re.search(r"aired .*, (\d+) underrun frames", l))]
        print(f"  loa: underrun frames per agent and session: median "
              f"{statistics.median(underruns) if underruns else '-'}, max "
              f"{max(underruns, default='-')} (the players' own count)", flush=True)
        for delay, first_capture_us in sessions:
            capture = [first_capture_us + s * 1e6 / RATE for s in onsets]
            heard = {}
            for sid in stations:
                path = os.path.join(out, f"{sid}.wav")
                with open(path + ".json") as f:
                    meta = json.load(f)
                heard[sid] = [sink_onset_us(path, meta, c + delay * 1000) for c in capture]
            results.append((f"Loa {'procs' if processes else 'fleet'}, delay {delay} ms",
                            skew_figures(heard, capture, delay, len(stations))))
        return results
    finally:
        for p in reversed(procs):
            p.kill()


# --- Snapcast ----------------------------------------------------------------------------------

BLOCK_BYTES = RATE * 4 * 50 // 1000  # the file player's 50 ms of 16-bit stereo


def pipe_queue(fd):
    """Bytes written into a pipe and not read yet."""
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


def feed(fifo, pcm, stamps, queued, warm_s, started):
    """Writes `pcm` (16-bit stereo) into the server's pipe in 20 ms chunks paced in real time,
    after warm_s of silence; stamps[n] = the true time (us) chunk n of `pcm` was written.
    During the warm-up, silence is written only while the pipe holds under two chunks: the
    server reads at its own real-time pace from when it starts, so whatever sits in the pipe
    before the programme would delay it (the programme then keeps that small queue)."""
    chunk = RATE * 4 * 20 // 1000
    silence = bytes(chunk)
    with open(fifo, "wb", buffering=0) as out:
        started.set()
        warm_until = time.monotonic() + warm_s
        while time.monotonic() < warm_until:
            if pipe_queue(out.fileno()) < 2 * chunk:
                out.write(silence)
            time.sleep(0.002)
        t0 = time.monotonic()
        n = 0
        total = len(pcm) // chunk + 50
        while n < total:
            pos = n * chunk
            data = pcm[pos:pos + chunk] if 0 <= pos < len(pcm) else silence
            out.write(data.ljust(chunk, b"\0"))
            if 0 <= pos < len(pcm):
                stamps.append(time.time_ns() / 1000)
                # Bytes still queued in the pipe (the server has not read them yet).
                queued.append(pipe_queue(out.fileno()))
            n += 1
            delay = t0 + n * 0.020 - time.monotonic()
            if delay > 0:
                time.sleep(delay)


def collect(fifos, streams, stop):
    """Reads every client's FIFO; streams[i] = (bytearray, [(arrival us, end offset)])."""
    fds = {}
    poller = select.epoll()
    for i, path in enumerate(fifos):
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        fds[fd] = i
        poller.register(fd, select.EPOLLIN)
    try:
        while not stop.is_set():
            for fd, _ in poller.poll(0.1):
                now = time.time_ns() / 1000
                try:
                    data = os.read(fd, 1 << 16)
                except BlockingIOError:
                    continue
                if not data:  # the client closed it
                    poller.unregister(fd)
                    continue
                buf, marks = streams[fds[fd]]
                buf += data
                marks.append((now, len(buf)))
    finally:
        poller.close()
        for fd in fds:
            os.close(fd)


def client_onsets_us(buf, marks, expected_us):
    """True time of the first loud sample near each expected time in a client's stream."""
    # When each 50 ms block was written: the arrival of the read that completed it, less 50 ms
    # per block that came after it in the same read.
    block_time = {}
    start = 0
    for arrival, end in marks:
        last = end // BLOCK_BYTES
        for b in range(start // BLOCK_BYTES, last):
            block_time[b] = arrival - (last - 1 - b) * 50_000
        start = end
    left = array.array("h", bytes(buf[:len(buf) // 4 * 4]))[::2]
    limit = int(THRESHOLD * 32768)
    spb = BLOCK_BYTES // 4
    times = []
    for i, v in enumerate(left):
        if abs(v) >= limit and i // spb in block_time:
            b = i // spb
            times.append(block_time[b] + 10_000 + (i - b * spb) * 1e6 / RATE)
    times.sort()
    out = []
    for e in expected_us:
        j = bisect.bisect_left(times, e - 200_000)
        out.append(times[j] if j < len(times) and times[j] <= e + 600_000 else None)
    return out


def measure_snapcast(work, wav, onsets, buffer_ms, clients):
    for tool in ("snapserver", "snapclient"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found: apt-get install snapserver snapclient "
                     "(scripts/install-deps installs them)")
    run = os.path.join(work, f"snap-{buffer_ms}")
    os.makedirs(run)
    fifo = os.path.join(run, "input")
    os.mkfifo(fifo)
    stream_port, tcp_port, http_port = free_port(), free_port(), free_port()
    conf = os.path.join(run, "snapserver.conf")
    with open(conf, "w") as f:
        f.write(f"""[server]
datadir = {run}
[http]
enabled = true
bind_to_address = 127.0.0.1
port = {http_port}
[tcp]
enabled = true
bind_to_address = 127.0.0.1
port = {tcp_port}
[stream]
bind_to_address = 127.0.0.1
port = {stream_port}
source = pipe://{fifo}?name=x&mode=read
sampleformat = 48000:16:2
codec = flac
chunk_ms = 20
buffer = {buffer_ms}
[logging]
filter = *:warning
""")
    with wave.open(wav, "rb") as w:
        mono = array.array("h", w.readframes(w.getnframes()))
    stereo = array.array("h", bytes(4 * len(mono)))
    stereo[0::2] = mono
    stereo[1::2] = mono
    pcm = stereo.tobytes()
    server = subprocess.Popen(["snapserver", "-c", conf], stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(run, "snapserver.log"), "w"))
    procs = [server]
    stop = threading.Event()
    stamps = []
    queued = []
    started = threading.Event()
    fifos = [os.path.join(run, f"client-{i}.pcm") for i in range(clients)]
    for p in fifos:
        os.mkfifo(p)
    streams = [(bytearray(), []) for _ in fifos]
    reader = threading.Thread(target=collect, args=(fifos, streams, stop), daemon=True)
    reader.start()
    # Clients connect, synchronise their clocks and fill their buffers during the warm-up.
    warm_s = 4.0 + buffer_ms / 1000
    feeder = threading.Thread(target=feed, args=(fifo, pcm, stamps, queued, warm_s, started), daemon=True)
    try:
        feeder.start()
        wait_for(lambda: server.poll() is None and port_open(stream_port), 10, "snapserver")
        for i, p in enumerate(fifos):
            procs.append(subprocess.Popen(
                ["snapclient", "-h", "127.0.0.1", "-p", str(stream_port), "--hostID",
                 f"loa-bench-{i}", "--player", f"file:filename={p}", "--logsink", "null"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        cpu0 = sum(cpu_seconds(p.pid) for p in procs)
        w0 = time.monotonic()
        feeder.join()
        cpu = (sum(cpu_seconds(p.pid) for p in procs) - cpu0) / (time.monotonic() - w0) * 100
        # The last burst is due buffer_ms after it was written: wait that long, and a margin.
        time.sleep(buffer_ms / 1000 + 0.5)
    finally:
        stop.set()
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        reader.join(timeout=5)
    chunk_samples = RATE * 20 // 1000
    # Sample s was captured in the 20 ms before its chunk was written.
    capture = [stamps[s // chunk_samples] - 20_000 + (s % chunk_samples) * 1e6 / RATE
               for s in onsets]
    heard = {}
    for i, (buf, marks) in enumerate(streams):
        heard[i] = client_onsets_us(buf, marks, [c + buffer_ms * 1000 for c in capture])
    pipe_ms = statistics.median(queued[s // chunk_samples] for s in onsets) / (RATE * 4 / 1000)
    print(f"  snapcast: buffer {buffer_ms} ms, {clients} clients (server and clients "
          f"{cpu:.0f} % of one core meanwhile); the input pipe held {pipe_ms:.0f} ms of audio "
          f"as the onsets went in (part of the latency)", flush=True)
    return (f"Snapcast, buffer {buffer_ms} ms", skew_figures(heard, capture, buffer_ms, clients))


def port_open(port):
    import socket
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=168,
                        help="agents of the loa-agent --fleet run (0: none)")
    parser.add_argument("--processes", type=int, default=50,
                        help="agents of the run with one loa-agent process each (0: none)")
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--no-loa", action="store_true")
    parser.add_argument("--no-snapcast", action="store_true")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="loa-bench-live-")
    rows = []
    try:
        wav = os.path.join(work, "bursts.wav")
        onsets = make_bursts(wav)
        print(f"live benchmark: {BURSTS} tone bursts ({BURST_EVERY_S} s apart) played as live; "
              f"Loa to {args.agents} agents of one fleet and to {args.processes} agent "
              f"processes, Snapcast to {args.clients} clients", flush=True)
        if not args.no_loa:
            if args.agents:
                rows += measure_loa(os.path.join(work, "fleet"), wav, onsets, args.agents, False)
            if args.processes:
                rows += measure_loa(os.path.join(work, "processes"), wav, onsets,
                                    args.processes, True)
        if not args.no_snapcast:
            for buffer_ms in SNAP_BUFFERS_MS:
                rows.append(measure_snapcast(work, wav, onsets, buffer_ms, args.clients))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print("latency = mouth (capture) to loudspeaker (true time of the onset in the output), less")
    print("the nominal delay (Loa) or buffer (Snapcast); skew = per onset, max - min over the")
    print("listeners; vs median = each listener against the per-onset median. All in ms.")
    print()
    print(f"{'':26} {'listeners':>9} {'onsets':>11} {'latency-nominal':>17} "
          f"{'skew (max-min)':>23} {'vs median':>23}")
    print(f"{'':26} {'':>9} {'heard':>11} {'median':>8} {'p99':>8} "
          f"{'p50':>7} {'p99':>7} {'max':>7} {'p50':>7} {'p99':>7} {'max':>7}")
    for name, f in rows:
        if "skew_max" not in f:
            print(f"{name:26} {f['listeners']:>9} {f['onsets_heard']:>5}/{f['onsets_expected']:<5}")
            continue
        print(f"{name:26} {f['listeners']:>9} {f['onsets_heard']:>5}/{f['onsets_expected']:<5} "
              f"{f['latency_extra_median']:>8.3f} {f['latency_extra_p99']:>8.3f} "
              f"{f['skew_p50']:>7.3f} {f['skew_p99']:>7.3f} {f['skew_max']:>7.3f} "
              f"{f['vs_median_p50']:>7.3f} {f['vs_median_p99']:>7.3f} {f['vs_median_max']:>7.3f}")
    if os.environ.get("LOA_BENCH_RESULTS"):
        with open(os.environ["LOA_BENCH_RESULTS"], "a") as out:
            for name, f in rows:
                out.write(json.dumps({"bench": "live", "run": name, **f}) + "\n")


if __name__ == "__main__":
    main()
