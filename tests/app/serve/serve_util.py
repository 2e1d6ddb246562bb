"""Shared by the pix2pix serve tests: a server on a free port (its startup line read for the
port), requests with http.client (no curl), and `pix2pix translate` of a file to compare with.
"""
import http.client
import json
import os
import signal
import subprocess
import tempfile
import time

failures = []


def check(cond, what):
    print(("ok:   " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        failures.append(what)


def finish():
    if failures:
        print(f"{len(failures)} check(s) failed")
        raise SystemExit(1)
    print("all checks passed")


class Server:
    """pix2pix serve --port 0 with extra arguments; stopped with SIGTERM."""

    def __init__(self, pix2pix, model, *args, env=None):
        self.proc = subprocess.Popen(
            [pix2pix, "serve", "--model", model, "--port", "0", "--quiet", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PIX2PIX_DEVICE": "cpu", **(env or {})})
        self.line = self.proc.stdout.readline()
        if " on http://" not in self.line:
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            raise SystemExit(f"the server did not start: {self.line!r} {err}")
        url = self.line.split(" on http://")[1].split("/")[0]
        self.host, port = url.rsplit(":", 1)
        self.host = self.host.strip("[]")
        if self.host in ("0.0.0.0", "::"):
            self.host = "127.0.0.1"
        self.port = int(port)

    def conn(self, timeout=60):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=60):
        """(status, headers dict with lower-case names, body bytes)."""
        c = self.conn(timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def post_image(self, data, query="", headers=None):
        return self.request("POST", "/translate" + query, data,
                            {"Content-Type": "image/png", **(headers or {})})

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def fds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """The exit status after sig."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None
        finally:
            self.proc.stdout.close()
            self.proc.stderr.close()


def error_of(body):
    """The reason of a JSON error body (None when it is not one)."""
    try:
        o = json.loads(body)
        return o["error"] if isinstance(o.get("error"), str) and "status" in o else None
    except (ValueError, AttributeError):
        return None


def translate(pix2pix, model, data, suffix, *args, out_name="in.png"):
    """(exit status, output bytes or None, stderr without the path) of pix2pix translate on
    data as a file named in<suffix>; the output is out_name."""
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "in" + suffix)
        with open(src, "wb") as f:
            f.write(data)
        out = os.path.join(d, "out")
        p = subprocess.run([pix2pix, "translate", "--model", model, "--input", src, "--output",
                            out, "--quiet", *args], capture_output=True, text=True,
                           env={**os.environ, "PIX2PIX_DEVICE": "cpu"})
        path = os.path.join(out, out_name)
        result = open(path, "rb").read() if os.path.exists(path) else None
        return p.returncode, result, p.stderr.replace(src + ": ", "").strip()


def same_image(png, expected):
    """True when two encoded images hold the same pixels, bit depth and channels: serve
    compresses its answers faster than translate its files, so their bytes differ."""
    import cv2
    import numpy as np
    if not png or not expected:
        return False
    a, b = (cv2.imdecode(np.frombuffer(x, np.uint8), cv2.IMREAD_UNCHANGED) for x in (png,
                                                                                   expected))
    return (a is not None and b is not None and a.shape == b.shape and a.dtype == b.dtype and
            bool((a == b).all()))


def wait_until(cond, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()
