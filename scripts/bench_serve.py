"""Benchmarks of `factory serve` (release build). Run through scripts/bench."""

import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FACTORY = os.path.join(ROOT, "target", "release", "factory")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(home):
    env = dict(os.environ)
    env["FACTORY_STORE"] = f"sqlite:{home}/factory.db"
    env["FACTORY_OBJECTS"] = f"dir:{home}/objects"
    env["RUST_LOG"] = "warn"
    return env


def healthz(port):
    """One GET /healthz over a raw socket; True on 200."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def start(home, port):
    return subprocess.Popen([FACTORY, "serve", "--port", str(port)], env=env_for(home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def startup_ms(home, runs=20):
    times = []
    for _ in range(runs):
        port = free_port()
        began = time.perf_counter()
        server = start(home, port)
        while not healthz(port):
            if time.perf_counter() - began > 10:
                raise SystemExit("the server did not answer /healthz within 10 s")
        times.append((time.perf_counter() - began) * 1000)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
    return statistics.median(times)


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        kib = int(re.search(r"VmRSS:\s+(\d+) kB", status.read()).group(1))
    return kib / 1024


def main():
    write = "--write" in sys.argv
    with tempfile.TemporaryDirectory() as home:
        startup = startup_ms(home)
        port = free_port()
        server = start(home, port)
        try:
            while not healthz(port):
                time.sleep(0.01)
            time.sleep(1)
            idle = rss_mib(server.pid)
            key = subprocess.run([FACTORY, "keys", "create", "--tenant", "bench", "--rate", "100000000"], env=env_for(home), capture_output=True, text=True, check=True).stdout.strip()
            text = open(os.path.join(ROOT, "examples", "note-tcp-handshake.txt")).read()
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/v1/faq?wait=30",
                data=json.dumps({"source": {"text": text}}).encode(),
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
            )
            job = json.load(urllib.request.urlopen(request))
            url = f"http://127.0.0.1:{port}/v1/jobs/{job['id']}"
            out = subprocess.run(["wrk", "-t2", "-c32", "-d10s", "--latency", "-H", f"Authorization: Bearer {key}", url], capture_output=True, text=True, check=True).stdout
            loaded = rss_mib(server.pid)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=10)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    report = (
        f"| startup to first 200 on /healthz (median of 20) | {startup:.1f} ms |\n"
        f"| idle RSS after start | {idle:.1f} MiB |\n"
        f"| GET /v1/jobs/{{id}}, wrk 2 threads × 32 connections, 10 s | {rps:,.0f} req/s |\n"
        f"| latency p50 / p99 | {p50} / {p99} |\n"
        f"| RSS after the load | {loaded:.1f} MiB |\n"
        f"| non-2xx answers | {non2xx.group(1) if non2xx else 0} |\n"
    )
    print(report)
    if write:
        path = os.path.join(ROOT, "docs", "performance.md")
        doc = open(path).read()
        start_marker, end_marker = "<!-- serve-bench -->", "<!-- /serve-bench -->"
        table = f"{start_marker}\n| measure | value |\n|---|---|\n{report}{end_marker}"
        doc = re.sub(re.escape(start_marker) + ".*?" + re.escape(end_marker), lambda _: table, doc, flags=re.S)
        open(path, "w").write(doc)


if __name__ == "__main__":
    main()
