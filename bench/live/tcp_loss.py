#!/usr/bin/env python3
"""What real packet loss on the link does to live (a finding, not a test: needs root and the
iptables package, and is never run by CI).

In a network namespace of its own (lo only), a real loa-scheduler and two real agents with file
sinks; once both are linked, iptables drops 10 % of the TCP packets of one agent's link, at
random, both ways (`-m statistic --mode random --probability 0.1 -j DROP` on the agent's port).
A few seconds of continuous speech-like sound (tests/e2e/test_live_loss.py) are played as live
at 500 ms delay and again at 150 ms. ZeroMQ runs over TCP, so a lost packet is retransmitted
(at least 200 ms later: Linux's minimum RTO) and the frames behind it wait: loss turns into
delay and bursts. Printed per session: the lossy agent's frame counts at LiveStop (late frames
are those that came after their commit time), its underrun count, and its longest silent run
while the lossless agent was loud (5 ms blocks, RMS under a tenth of the lossless one's).

usage: sudo bench/live/tcp_loss.py [PERCENT]   (LOA_BIN_DIR = build dir, default ./build)"""

import json
import os
import re
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.dirname(os.path.dirname(here))
sys.path.insert(0, os.path.join(top, "tests", "e2e"))
os.environ.setdefault("LOA_BIN_DIR", os.path.join(top, "build"))
from loa_e2e import Agent, Scheduler, read_wav, wait_for, workdir  # noqa: E402
import test_live_loss as programme  # noqa: E402

PERCENT = float(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] != "--inner" else 10.0
DELAYS_MS = (500, 150)


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def outer():
    ns = f"loa-tcp-loss-{os.getpid()}"
    run("ip", "netns", "add", ns)
    try:
        run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        r = subprocess.run(["ip", "netns", "exec", ns, sys.executable, __file__, "--inner",
                            str(PERCENT)])
        sys.exit(r.returncode)
    finally:
        run("ip", "netns", "del", ns)


def longest_silence_ms(ref_agent, agent, first_capture_us, delay_ms):
    out = []
    for a in (ref_agent, agent):
        with open(a.sink + ".json") as f:
            meta = json.load(f)
        rate, samples = read_wav(a.sink)
        start_us = first_capture_us + delay_ms * 1000 + programme.LEAD_S * 1e6 + 50_000
        first = round((start_us - meta["first_sample_utc_us"]) * rate / 1e6)
        out.append(samples[first:first + int((programme.PROGRAMME_S - 0.1) * rate)])
    ref, x = out
    block = programme.BLOCK
    flags = []
    for b in range(min(len(ref), len(x)) // block):
        r = programme.rms(ref[b * block:(b + 1) * block])
        flags.append(r >= programme.LOUD and
                     programme.rms(x[b * block:(b + 1) * block]) < programme.SILENT_RATIO * r)
    return programme.longest_run(flags) * block * 1000 / 48000


def inner():
    work = workdir("tcp-loss")
    sched = Scheduler(work)
    procs = [sched]
    try:
        wav = programme.make_programme(os.path.join(work, "programme.wav"))
        agents = {}
        for sid in ("30280", "30283"):
            cfg = os.path.join(work, f"{sid}.toml")
            sched.cli("station", "add", sid, "--name", sid, "--agent-config", cfg)
            agents[sid] = Agent(work, sid, cfg)
            procs.append(agents[sid])
        ref, lossy = agents["30280"], agents["30283"]
        for a in agents.values():
            wait_for(lambda: sched.get(f"/api/v1/stations/{a.station_id}")["online"], 30,
                     f"{a.station_id} online")

        def lossy_port():
            for line in run("ss", "-tnpH", "state", "established").splitlines():
                if f"pid={lossy.proc.pid}," in line and f":{sched.link_port}" in line:
                    return int(line.split()[2].rsplit(":", 1)[1])
            return None
        port = wait_for(lossy_port, 10, "the lossy agent's link connection")
        p = f"{PERCENT / 100:.4f}"
        run("iptables", "-A", "INPUT", "-p", "tcp", "--dport", str(port), "-m", "statistic",
            "--mode", "random", "--probability", p, "-j", "DROP")
        run("iptables", "-A", "OUTPUT", "-p", "tcp", "--sport", str(port), "-m", "statistic",
            "--mode", "random", "--probability", p, "-j", "DROP")
        print(f"tcp loss: {PERCENT} % of the packets of agent 30283's link (port {port}) "
              "dropped both ways; agent 30280 lossless", flush=True)
        stop_re = re.compile(r"live: session (\S+) stops .*: (\d+) received, (\d+) late, "
                             r"(\d+) played, (\d+) recovered by FEC, (\d+) concealed")
        for delay in DELAYS_MS:
            s = sched.cli_json("live", "start", "--source", wav, "--delay-ms", str(delay),
                               "--station", "30280", "--station", "30283")
            item = "live-" + s["id"]
            wait_for(lambda: len([r for r in sched.cli_json("asrun", "list")
                                  if r["item_id"] == item]) >= 2, 60, f"the as-runs of {item}")
            stop = next((m for l in lossy.log() if (m := stop_re.search(l)) and
                         m.group(1) == s["id"]), None)
            if stop is None:
                print(f"  delay {delay} ms: the lossy agent never got the LiveStop", flush=True)
                continue
            aired = next((l for l in lossy.log() if f"item {item} aired" in l), "")
            underrun = re.search(r"(\d+) underrun frames", aired)
            print(f"  delay {delay} ms: lossy agent at LiveStop: {stop.group(2)} received, "
                  f"{stop.group(3)} late, {stop.group(4)} played, {stop.group(5)} recovered by "
                  f"FEC, {stop.group(6)} concealed; {underrun.group(1) if underrun else '?'} "
                  f"underrun frames; longest silence while the lossless agent was loud: "
                  f"{longest_silence_ms(ref, lossy, s['first_capture_us'], delay):.0f} ms",
                  flush=True)
    finally:
        for p in reversed(procs):
            p.kill()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("tcp_loss: needs root (network namespace, iptables)")
    if "--inner" in sys.argv:
        PERCENT = float(sys.argv[-1])
        inner()
    else:
        outer()
