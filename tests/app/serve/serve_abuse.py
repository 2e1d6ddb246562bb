"""pix2pix serve against hostile clients: each case gets its 4xx/503 (or its connection closed,
where no answer can be sent), the server keeps answering a normal request meanwhile and after,
and neither file descriptors nor memory leak. Prints the table of cases.

usage: serve_abuse.py PIX2PIX FIXTURE_DIR
"""
import os
import select
import socket
import struct
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_util import Server, check, error_of, finish, wait_until  # noqa: E402

pix2pix, fixtures = sys.argv[1], sys.argv[2]
model = os.path.join(fixtures, "unet5_g.safetensors")
png = open(os.path.join(fixtures, "unet5_in.png"), "rb").read()
TIMEOUT = 3
table = []


def row(case, got, want):
    table.append((case, got, want))
    check(got in want if isinstance(want, tuple) else got == want,
          f"{case}: {got} (want {want})")


def raw(s, data, wait=10.0):
    """Sends bytes on a fresh socket; the status of the answer (0: closed without one)."""
    c = socket.create_connection((s.host, s.port), timeout=wait)
    try:
        c.sendall(data)
        answer = b""
        while b"\r\n" not in answer:
            piece = c.recv(4096)
            if not piece:
                break
            answer += piece
        return int(answer.split(b" ")[1]) if answer.startswith(b"HTTP/1.") else 0
    except (ConnectionResetError, BrokenPipeError):
        return 0
    finally:
        c.close()


def png_declaring(w, h):
    """A whole PNG (IHDR, a little IDAT, IEND) that declares w x h."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b""))


def healthy(s, what):
    t = time.time()
    status = s.post_image(png)[0]
    check(status == 200, f"a normal request {what}: 200 ({status}, {time.time() - t:.2f} s)")


s = Server(pix2pix, model, "--timeout", str(TIMEOUT), "--max-body", "4000000",
           "--connections", "1500")
for _ in range(20):
    s.post_image(png)  # plans built, allocator warm
fds0, rss0 = s.fds(), s.rss_kib()

post = b"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
c = socket.create_connection((s.host, s.port))
c.sendall(post + b"Content-Length: 5000\r\n\r\n" + png[:100])
c.close()
healthy(s, "after a truncated body whose sender closed")
row("truncated body, then closed", "dropped", "dropped")
row("truncated body, left idle", raw(s, post + b"Content-Length: 5000\r\n\r\n" + png[:100],
                                     wait=TIMEOUT + 10), (0, 408))
big = png_declaring(100000, 100000)
row("100000x100000 PNG header",
    raw(s, post + b"Content-Length: %d\r\n\r\n" % len(big) + big), 413)
row("2 GB Content-Length", raw(s, post + b"Content-Length: 2147483648\r\n\r\n" + png[:1000]),
    413)


def paced(s, head, pieces):
    """Sends head, then the pieces one by one, looking for an answer after each (the server
    closes after answering early: what a client sends past that point is refused)."""
    c = socket.create_connection((s.host, s.port), timeout=10)
    answer = b""
    try:
        c.sendall(head)
        for piece in pieces:
            c.sendall(piece)
            ready, _, _ = select.select([c], [], [], 0.05)
            if ready:
                answer = c.recv(4096)
                break
        else:
            answer = c.recv(4096)
    except OSError:
        pass
    c.close()
    return int(answer.split(b" ")[1]) if answer.startswith(b"HTTP/1.") else 0


row("chunked body past --max-body",
    paced(s, post + b"Transfer-Encoding: chunked\r\n\r\n",
          [b"%x\r\n" % 65536 + b"\x89" * 65536 + b"\r\n" for _ in range(70)]), (0, 413))
for name, data, want in [("text body", b"just some text\n" * 50, 415),
                         ("random bytes", os.urandom(3000), 415),
                         ("PNG signature, then garbage", b"\x89PNG\r\n\x1a\n" + os.urandom(500),
                          400),
                         ("JPEG markers, then garbage", b"\xff\xd8\xff\xe0" + os.urandom(500),
                          400)]:
    status, _, body = s.post_image(data)
    row(name, status, want)
    check(error_of(body) is not None, f"{name}: a JSON reason")
for name, data, want in [("method FOO", b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n", (400, 405, 501)),
                         ("path /../../etc/passwd",
                          b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", (400, 404)),
                         ("path /%00", b"GET /%00 HTTP/1.1\r\nHost: x\r\n\r\n", (400, 404)),
                         ("4 kB path", b"GET /" + b"a" * 4096 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                          (404, 414, 431)),
                         ("binary garbage", os.urandom(200) + b"\r\n\r\n", (0, 400, 505)),
                         ("no Host header", b"GET /health HTTP/1.1\r\n\r\n", 400),
                         ("64 kB of headers", b"GET /health HTTP/1.1\r\nHost: x\r\n" +
                          b"X-A: " + b"b" * 65536 + b"\r\n\r\n", (0, 413, 431))]:
    row(name, raw(s, data), want)

# 1000 idle connections: served beside them, dropped after --timeout.
idle = [socket.create_connection((s.host, s.port)) for _ in range(1000)]
healthy(s, "beside 1000 idle connections")
check(wait_until(lambda: s.fds() < fds0 + 50, TIMEOUT + 15),
      f"the idle connections closed after --timeout ({s.fds()} fds, {fds0} before)")
row("1000 idle connections", "served beside, closed", "served beside, closed")
for c in idle:
    c.close()

# Slowloris: a header byte at a time, and a body a byte at a time.
closed_after = {"headers": [], "body": []}


def trickle(kind, head, data, pause):
    """Sends head, then data a byte at a time; the seconds until the server closes the
    connection (or answers), None when it never did."""
    c = socket.create_connection((s.host, s.port), timeout=TIMEOUT + 20)
    t, when = time.time(), None
    try:
        c.sendall(head)
        for b in data:
            c.send(bytes([b]))
            ready, _, _ = select.select([c], [], [], pause)
            if ready:
                c.recv(4096)
                when = time.time() - t
                break
    except OSError:
        when = time.time() - t
    c.close()
    closed_after[kind].append(when)


slow = [threading.Thread(target=trickle, args=("headers", b"", post * 4, 0.2))
        for _ in range(20)]
slow.append(threading.Thread(target=trickle, args=(
    "body", post + b"Content-Length: %d\r\n\r\n" % len(png), png, 0.5)))
for t in slow:
    t.start()
time.sleep(1)
healthy(s, "beside 20 slow header senders and a slow body")
for t in slow:
    t.join()
for kind, what in (("headers", "slowloris headers (20, a byte per 0.2 s)"),
                   ("body", "slowloris body (a byte per 0.5 s)")):
    times = closed_after[kind]
    cut = all(w is not None and w < TIMEOUT + 3 for w in times)
    row(what, f"closed after {max(w or 0 for w in times):.1f} s" if cut else f"{times}",
        f"closed after {max(w or 0 for w in times):.1f} s")
    check(cut, f"{what}: cut within --timeout {TIMEOUT} s + 3 ({times})")

healthy(s, "after the abuse")
check(s.alive(), "the server is still running")
for _ in range(100):
    s.post_image(png)
check(wait_until(lambda: s.fds() <= fds0 + 2, TIMEOUT + 15),
      f"file descriptors back to {fds0} (now {s.fds()})")
rss1 = s.rss_kib()
check(rss1 < rss0 + 20 * 1024, f"RSS within 20 MiB of before ({rss0} -> {rss1} KiB)")
check(s.stop() == 0, "SIGTERM: exit 0")

# A full queue: 503 with Retry-After, the others answered.
s = Server(pix2pix, model, "--queue", "1", "--batch", "1")
results = []


def post_one():
    st, h, body = s.post_image(png)
    results.append((st, h.get("retry-after"), error_of(body)))


threads = [threading.Thread(target=post_one) for _ in range(24)]
for t in threads:
    t.start()
for t in threads:
    t.join()
full = [r for r in results if r[0] == 503]
row("24 at once, --queue 1", f"{len(results) - len(full)} x 200, {len(full)} x 503",
    f"{len(results) - len(full)} x 200, {len(full)} x 503")
check(full and all(r[1] == "1" and r[2] for r in full) and
      all(r[0] in (200, 503) for r in results) and len(full) < 24,
      f"--queue 1: 503 with Retry-After and a JSON reason, the rest 200 ({results[:3]}...)")
check(s.stop() == 0, "SIGTERM: exit 0")

print("\n| case | answer | expected |\n|---|---|---|")
for case, got, want in table:
    print(f"| {case} | {got} | {want} |")
print(f"fds {fds0} before, RSS {rss0} -> {rss1} KiB")
finish()
