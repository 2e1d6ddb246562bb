#!/usr/bin/env python3
"""Load test of pix2pix serve: CLIENTS concurrent clients (keep-alive connections, threads of
a few processes) post WxH PNG images for at most SECONDS (or until REQUESTS answers) against a
server started here; then `pix2pix translate` of a folder of the same images on the same
device. Prints a table: clients, requests/s, p50 and p99 latency, the mean batch the server
formed (from /metrics), the server's images/s at saturation (from /metrics, the clients' start
left out) against translate's, and the server's RSS after 1k and 10k answers. Not a test: the numbers depend on the machine.

usage: tools/serve_load.py --pix2pix build/pix2pix --model G.safetensors [--device cpu]
       [--clients 64] [--seconds 30] [--requests 10000] [--size 256] [--folder 64]
"""
import argparse
import http.client
import multiprocessing as mp
import os
import queue
import re
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib


def png_bytes(w, h, seed):
    """An RGB PNG of w x h with a pattern that depends on seed (no imaging library)."""
    rows = []
    for y in range(h):
        row = bytearray([0])
        for x in range(w):
            row += bytes(((x * 3 + seed * 17) & 255, (y * 5 + seed * 29) & 255,
                          ((x ^ y) + seed) & 255))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 6)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


def client_process(host, port, threads, images, deadline, budget, out):
    """threads clients in this process; their latencies (seconds) and errors go to out."""
    lat, errors, lock = [], [0], threading.Lock()

    def one(k):
        c = http.client.HTTPConnection(host, port, timeout=120)
        i = k
        while time.time() < deadline and budget.value > 0:
            with budget.get_lock():
                budget.value -= 1
            t = time.time()
            try:
                c.request("POST", "/translate", images[i % len(images)],
                          {"Content-Type": "image/png"})
                r = c.getresponse()
                r.read()
                ok = r.status == 200
            except OSError:
                ok = False
                c.close()
                c = http.client.HTTPConnection(host, port, timeout=120)
            with lock:
                if ok:
                    lat.append(time.time() - t)
                else:
                    errors[0] += 1
            i += 1
        c.close()
    ts = [threading.Thread(target=one, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put((lat, errors[0]))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def metric(text, name):
    m = re.search(rf"^{name} ([0-9.e+]+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def saturated_rate(samples):
    """The server's images/s between its first tenth and its last sample of /metrics: the
    clients' start (process forks, connections) and the last answers' tail left out."""
    if len(samples) < 3:
        return float("nan")
    start = next(s for s in samples if s[1] >= samples[-1][1] / 10)
    t, done = samples[-1]
    return (done - start[1]) / (t - start[0]) if t > start[0] else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pix2pix", default="build/pix2pix")
    ap.add_argument("--model", required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--requests", type=int, default=10000)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--folder", type=int, default=64, help="images translate does")
    ap.add_argument("--processes", type=int, default=4, help="client processes")
    a = ap.parse_args()
    images = [png_bytes(a.size, a.size, s) for s in range(16)]
    env = {**os.environ, "PIX2PIX_DEVICE": a.device}
    server = subprocess.Popen([a.pix2pix, "serve", "--model", a.model, "--device", a.device,
                               "--port", "0", "--queue", str(max(64, 2 * a.clients)),
                               "--quiet"], stdout=subprocess.PIPE, text=True, env=env)
    line = server.stdout.readline()
    if " on http://" not in line:
        sys.exit(f"the server did not start: {line!r}")
    host, port = line.split(" on http://")[1].split("/")[0].rsplit(":", 1)
    port = int(port)

    def get(path):
        c = http.client.HTTPConnection(host, port, timeout=30)
        c.request("GET", path)
        body = c.getresponse().read().decode()
        c.close()
        return body
    budget = mp.Value("l", a.requests)
    out = mp.Queue()
    per = [a.clients // a.processes + (k < a.clients % a.processes) for k in range(a.processes)]
    t0 = time.time()
    deadline = t0 + a.seconds
    procs = [mp.Process(target=client_process,
                        args=(host, port, n, images, deadline, budget, out)) for n in per if n]
    for p in procs:
        p.start()
    rss, samples, results = {}, [], []
    # A client process puts its results once, at its end, and cannot exit before a result
    # larger than a pipe's buffer is read: they are taken while waiting.
    while len(results) < len(procs) and (any(p.is_alive() for p in procs) or not out.empty()):
        done = metric(get("/metrics"), "pix2pix_images_total")
        samples.append((time.time(), done))
        for mark in (1000, 10000):
            if done >= mark and mark not in rss:
                rss[mark] = rss_kib(server.pid)
        try:
            results.append(out.get(timeout=0.2))
        except queue.Empty:
            pass
    wall = time.time() - t0
    lat, errors = [], 0
    for l, e in results:
        lat += l
        errors += e
    for p in procs:
        p.join()
    text = get("/metrics")
    batches, images_done = metric(text, "pix2pix_batches_total"), metric(text,
                                                                          "pix2pix_images_total")
    server.terminate()
    server.wait()
    lat.sort()
    n = len(lat)
    pct = (lambda q: lat[min(n - 1, int(q * n))] * 1000) if n else (lambda q: float("nan"))
    with tempfile.TemporaryDirectory() as d:
        os.mkdir(f"{d}/in")
        for i in range(a.folder):
            with open(f"{d}/in/{i:04d}.png", "wb") as f:
                f.write(images[i % len(images)])
        p = subprocess.run([a.pix2pix, "translate", "--model", a.model, "--device", a.device,
                            "--input", f"{d}/in", "--output", f"{d}/out", "--quiet",
                            "--verbose"], capture_output=True, text=True, env=env)
        m = re.search(r"\(([0-9.]+) images/s\)", p.stderr)
        translate_rate = float(m.group(1)) if m else float("nan")
    rate = n / wall
    saturated = saturated_rate(samples)
    print(f"device {a.device}, {a.size}x{a.size} PNGs, {wall:.1f} s, {n} answered, "
          f"{errors} failed")
    print("| clients | req/s | p50 ms | p99 ms | mean batch | images/s saturated "
          "| translate images/s | ratio | RSS 1k | RSS 10k |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    fmt = lambda k: f"{rss[k] / 1024:.1f} MiB" if k in rss else "not reached"  # noqa: E731
    print(f"| {a.clients} | {rate:.1f} | {pct(0.5):.0f} | {pct(0.99):.0f} | "
          f"{images_done / batches if batches else 0:.2f} | {saturated:.1f} | "
          f"{translate_rate:.1f} | {saturated / translate_rate:.2f} | {fmt(1000)} | "
          f"{fmt(10000)} |")


if __name__ == "__main__":
    main()
