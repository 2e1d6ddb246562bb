"""pix2pix serve's API against pix2pix translate (CPU, pixel-exact: the same PNG bytes): raw and
multipart bodies, PNG and JPEG, ?eval, ?full_res, ?bit_depth; /model, /health, /metrics; JSON
errors with translate's reasons; the token; the startup line of --host 0.0.0.0; SIGTERM with
requests in flight answers them and exits 0.

usage: serve_api.py PIX2PIX FIXTURE_DIR
"""
import json
import os
import re
import shutil
import signal
import struct
import sys
import tempfile
import threading
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_util import (Server, check, error_of, finish, same_image, translate,  # noqa: E402
                        wait_until)

pix2pix, fixtures = sys.argv[1], sys.argv[2]
model = os.path.join(fixtures, "unet5_g.safetensors")
png = open(os.path.join(fixtures, "unet5_in.png"), "rb").read()
wide = open(os.path.join(fixtures, "train_pair.png"), "rb").read()  # 64 x 32

s = Server(pix2pix, model)
status, headers, body = s.request("GET", "/health")
check(status == 200 and json.loads(body)["status"] == "ok", "GET /health: 200 ok")
status, headers, body = s.request("GET", "/model")
card = json.loads(body) if status == 200 else {}
check(status == 200 and card.get("architecture") == "unet_5" and card.get("input_nc") == 3
      and card.get("devices") == "cpu" and card.get("image_size") == 256,
      f"GET /model: the card ({body[:200]!r})")

# The same bytes as translate writes, for each option the query mirrors.
cases = [("", [], png, ".png"), ("?eval=1", ["--eval"], png, ".png"),
         ("?full_res=1", ["--full-res"], wide, ".png"),
         ("?bit_depth=16", ["--bit-depth", "16"], png, ".png"),
         ("?full_res=1&eval=1", ["--full-res", "--eval"], wide, ".png")]
# A JPEG input: one that translate writes.
rc, jpeg, _ = translate(pix2pix, model, png, ".png", "--format", "jpg", out_name="in.jpg")
check(rc == 0 and jpeg[:3] == b"\xff\xd8\xff", "a JPEG made for the test")
cases.append(("", [], jpeg, ".jpg"))
for query, args, data, suffix in cases:
    status, headers, body = s.post_image(data, query)
    rc, expected, err = translate(pix2pix, model, data, suffix, *args)
    check(status == 200 and headers.get("content-type") == "image/png",
          f"POST /translate{query} ({suffix[1:]}): 200 image/png ({status})")
    check(rc == 0 and same_image(body, expected),
          f"POST /translate{query} ({suffix[1:]}): the image translate {' '.join(args)} writes")

# A multipart form upload (the page's upload button, curl -F) gives the same.
boundary = "pix2pixBoundary7"
form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n"
        f"Content-Type: image/png\r\n\r\n").encode() + png + f"\r\n--{boundary}--\r\n".encode()
status, headers, body = s.request("POST", "/translate", form,
                                  {"Content-Type": f"multipart/form-data; boundary={boundary}"})
rc, expected, _ = translate(pix2pix, model, png, ".png")
check(status == 200 and same_image(body, expected),
      f"multipart upload: translate's image ({status})")

# Bad bodies: 4xx with translate's reason for the same file, in a JSON body.
truncated = png[:len(png) // 2]
for name, data, want in [("not an image", b"hello, this is text" * 10, 415),
                         ("a truncated PNG", truncated, 400), ("an empty body", b"", 400)]:
    status, headers, body = s.post_image(data)
    rc, _, reason = translate(pix2pix, model, data, ".png")
    check(status == want and headers.get("content-type") == "application/json",
          f"{name}: {want} JSON ({status} {body[:120]!r})")
    check(rc == 1 and error_of(body) == reason,
          f"{name}: translate's reason ({error_of(body)!r} vs {reason!r})")
for method, path, want in [("GET", "/nope", 404), ("GET", "/translate", 405),
                           ("DELETE", "/translate", 405), ("POST", "/model", 405),
                           ("POST", "/translate?eval=maybe", 400),
                           ("POST", "/translate?bit_depth=12", 400)]:
    status, headers, body = s.request(method, path, png if method == "POST" else None)
    check(status == want and error_of(body), f"{method} {path}: {want} with a JSON reason "
          f"({status} {body[:100]!r})")

status, headers, body = s.request("GET", "/metrics")
text = body.decode()
check(status == 200 and "pix2pix_requests_total" in text and
      'pix2pix_errors_total{reason="not_an_image"} 1' in text and
      "pix2pix_translate_seconds_bucket" in text and "pix2pix_queue_depth 0" in text and
      re.search(r'^pix2pix_device_memory_bytes\{device="0",backend="[^"]+"\} [1-9]', text, re.M)
      and re.search(r'^pix2pix_device_memory_budget_bytes\{device="0",backend="[^"]+"\} [1-9]',
                    text, re.M),
      "GET /metrics: counters, errors by reason, histogram, queue depth, memory held by and "
      f"budget of each device\n{text}")

# SIGTERM while requests are in flight: every one is answered, then exit 0.
results = []


def post():
    try:
        results.append(s.post_image(png)[0])
    except OSError as e:
        results.append(str(e))




polls = [0]


def others_seen():
    """The requests the server has seen, less these /metrics ones (each counts itself)."""
    polls[0] += 1
    text = s.request("GET", "/metrics")[2].decode()
    return int(text.split("\npix2pix_requests_total ")[1].split()[0]) - polls[0]


seen = others_seen()
threads = [threading.Thread(target=post) for _ in range(6)]
for t in threads:
    t.start()
# SIGTERM once the six have reached the server.
check(wait_until(lambda: others_seen() >= seen + 6, 30), "six requests in flight")
rc = s.stop()
for t in threads:
    t.join()
check(rc == 0, f"SIGTERM: exit status 0 ({rc})")
check(results.count(200) + results.count(503) == 6 and results.count(200) >= 1,
      f"SIGTERM: the requests in flight answered ({results})")

# The token: the API needs it, the page and /health do not.
# --palette: a labels image of three flat colours (a PNG written here).
labels = tempfile.mkdtemp()
rows = b"".join(b"\0" + b"".join(bytes((255, 0, 0) if y < 8 else (0, 0, 255) if x < 16 else
                                        (0, 128, 0)) for x in range(32)) for y in range(32))


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


with open(os.path.join(labels, "a.png"), "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 32, 32, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
s = Server(pix2pix, model, "--token", "s3cret", "--host", "0.0.0.0", "--palette", labels)
check("reachable from the network, with the bearer token" in s.line,
      f"--host 0.0.0.0: the startup line says so ({s.line.strip()!r})")
check(s.post_image(png)[0] == 401, "token: POST without it is 401")
check(s.post_image(png, "", {"Authorization": "Bearer wrong"})[0] == 401,
      "token: a wrong one is 401")
check(s.request("GET", "/model")[0] == 401, "token: GET /model without it is 401")
status, _, body = s.request("GET", "/model", headers={"Authorization": "Bearer s3cret"})
palette = json.loads(body).get("palette") if status == 200 else None
check(isinstance(palette, list) and palette and
      palette == ["#0000ff", "#008000", "#ff0000"],
      f"--palette: the card's colours ({palette})")
check(s.post_image(png, "", {"Authorization": "Bearer s3cret"})[0] == 200,
      "token: POST with it is 200")
check(s.request("GET", "/")[0] == 200 and s.request("GET", "/health")[0] == 200,
      "token: the page and /health need none")
check(s.stop(signal.SIGINT) == 0, "SIGINT: exit status 0")
shutil.rmtree(labels)
finish()
