"""The checks of pix2pix serve's page, shared by serve_page (headless Chromium through
selenium) and serve_page_firefox (headless Firefox through serve_marionette): the model's card
and the pen load, strokes drawn with the mouse give an output that is `pix2pix translate` of
the very PNG the page sent (the same bytes: pixel-exact on the CPU), an uploaded file gives
translate's output of that file, a 400 px wide window shows every control without sideways
scrolling, nothing is fetched from elsewhere and the console has no errors. The screenshots
are kept as BUILD_DIR/NAME.png (1000x800) and BUILD_DIR/NAME_narrow.png (400x900).

A browser is an object with get(url), script(body, *args) (the value of a function body run
in the page), strokes(element_id, [((x, y), [(dx, dy)...])...]) (mouse strokes, each from a
point relative to the element's centre, moved by the offsets with the button held),
send_keys(element_id, text), set_window_size(width, height), screenshot(path) and
console_errors(origin) (the page's errors, as strings).
"""
import base64
import os
import time

from serve_util import Server, check, same_image, translate

CONTROLS = ("pen", "eraser", "size", "clear", "file", "input", "download", "status", "output")
# The strokes: two lines across the canvas, from points relative to its centre.
STROKES = [((-60, -60), [(80, 30), (40, 70)]), ((30, -80), [(-50, 120)])]


def data_bytes(url):
    return base64.b64decode(url.split(",", 1)[1])


def wait_for(browser, cond, seconds=60):
    """Whether cond(browser) came true within seconds."""
    end = time.time() + seconds
    while time.time() < end:
        if cond(browser):
            return True
        time.sleep(0.1)
    return cond(browser)


def text(browser, element_id):
    return browser.script("return document.getElementById(arguments[0]).textContent",
                          element_id)


def last(browser):
    return browser.script("return window.pix2pixLast")


def status_is_translated(b):
    return last(b)["done"] > 0 and text(b, "status").startswith("translated")


def check_card(browser):
    wait_for(browser, lambda b: "unet_5" in text(b, "card"))
    check("unet_5" in text(browser, "card"), "the model's card is shown")
    shown = browser.script("return ['pen', 'eraser'].every(id => "
                           "document.getElementById(id).getClientRects().length > 0)")
    check(shown, "an edges model: a pen and an eraser")


def check_strokes(browser, pix2pix, model):
    browser.strokes("input", STROKES)
    wait_for(browser, status_is_translated)
    answer = last(browser)
    check(answer["done"] > 0, "drawn strokes: an answer comes")
    sent, got = data_bytes(answer.get("input", ",")), data_bytes(answer.get("output", ","))
    rc, expected, _ = translate(pix2pix, model, sent, ".png")
    check(rc == 0 and same_image(got, expected),
          "drawn strokes: the output is translate's of the input")
    check(len(set(sent)) > 10, "the strokes are on the input")
    href = browser.script("return document.getElementById('download').href")
    check(href.startswith("blob:"), "the download link holds the output")


def check_upload(browser, pix2pix, model, upload):
    before = last(browser)["done"]
    upload_bytes = open(upload, "rb").read()
    browser.send_keys("file", upload)

    # A translation of the strokes may still land after the upload's has started: wait for
    # the result whose input is the file (the check below fails if none comes within 60 s).
    def upload_answered(b):
        answer = last(b)
        return answer["done"] > before and data_bytes(answer["input"]) == upload_bytes

    wait_for(browser, upload_answered)
    answer = last(browser)
    rc, expected, _ = translate(pix2pix, model, upload_bytes, ".png")
    check(data_bytes(answer.get("input", ",")) == upload_bytes and
          same_image(data_bytes(answer.get("output", ",")), expected),
          "an uploaded file: sent as it is, translate's output back")


def check_narrow(browser):
    browser.set_window_size(400, 900)
    inner, client, width = browser.script(
        "const d = document.documentElement; return [window.innerWidth, d.clientWidth, "
        "d.scrollWidth]")
    check(inner <= 400, f"a narrow window: {inner} px wide")
    check(width <= client, f"a narrow window: no sideways scrolling ({width} px in {client})")
    # The file input is hidden: its label is the control.
    outside = browser.script(
        "return arguments[0].filter(id => { let e = document.getElementById(id);"
        " if (id === 'file') e = e.parentElement;"
        " const r = e.getBoundingClientRect();"
        " return r.width === 0 || r.left < 0 || r.right > document.documentElement.clientWidth;"
        " }).map(id => id + ' ' + JSON.stringify(document.getElementById(id)"
        ".getBoundingClientRect()))", list(CONTROLS))
    check(not outside, "a narrow window: every control shown within the width" +
          (f" ({'; '.join(outside)})" if outside else ""))


def check_shot(browser, path):
    browser.screenshot(path)
    check(os.path.getsize(path) > 1000, f"the screenshot is kept: {path}")
    print("screenshot:", path)


def run(browser, name, pix2pix, fixtures, build_dir):
    """Every check on a server of the unet5 fixture; the caller quits the browser and
    calls serve_util.finish()."""
    model = os.path.join(fixtures, "unet5_g.safetensors")
    s = Server(pix2pix, model)
    try:
        here = f"http://{s.host}:{s.port}/"
        browser.get(here)
        check_card(browser)
        check_strokes(browser, pix2pix, model)
        check_shot(browser, os.path.join(build_dir, name + ".png"))
        check_upload(browser, pix2pix, model, os.path.join(fixtures, "unet5_in.png"))
        check_narrow(browser)
        check_shot(browser, os.path.join(build_dir, name + "_narrow.png"))
        urls = browser.script("return performance.getEntriesByType('resource')"
                              ".map(e => e.name)")
        check(all(u.startswith(here) or u.startswith("blob:") or u.startswith("data:")
                  for u in urls), f"no request leaves the server ({len(urls)} resources)")
        errors = browser.console_errors(here)
        check(not errors, f"no errors in the console ({errors[:2]})")
    finally:
        check(s.stop() == 0, "SIGTERM: exit 0")
