"""pix2pix serve's page in headless Chromium (Debian's chromium, chromium-driver and
python3-selenium; skipped, exit 77, where one is missing): the model's card and the pen load,
strokes drawn with the mouse give an output that is `pix2pix translate` of the very PNG the
page sent (the same bytes: pixel-exact on the CPU), an uploaded file gives translate's output
of that file, the page fits a narrow window, and nothing is fetched from elsewhere. The
screenshot is kept as BUILD_DIR/serve_page.png.

usage: serve_page.py PIX2PIX FIXTURE_DIR BUILD_DIR
"""
import base64
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_util import Server, check, finish, same_image, translate  # noqa: E402

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    print("skipped: python3-selenium is missing (tools/install_deps.sh installs it)")
    sys.exit(77)
browser = shutil.which("chromium") or shutil.which("chromium-browser")
driver_path = shutil.which("chromedriver")
if not browser or not driver_path:
    print("skipped: chromium or chromium-driver is missing (tools/install_deps.sh installs them)")
    sys.exit(77)

pix2pix, fixtures, build_dir = (os.path.abspath(a) for a in sys.argv[1:4])
model = os.path.join(fixtures, "unet5_g.safetensors")
upload = os.path.join(fixtures, "unet5_in.png")


def data_bytes(url):
    return base64.b64decode(url.split(",", 1)[1])


s = Server(pix2pix, model)
opts = webdriver.ChromeOptions()
opts.binary_location = browser
for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--window-size=1000,800", "--user-data-dir=" + os.path.join(build_dir,
                                                                        "serve_page_profile")):
    opts.add_argument(arg)
opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
d = webdriver.Chrome(service=Service(driver_path), options=opts)
try:
    d.get(f"http://{s.host}:{s.port}/")
    wait = WebDriverWait(d, 60)
    wait.until(lambda d: "unet_5" in d.find_element(By.ID, "card").text)
    check("unet_5" in d.find_element(By.ID, "card").text, "the model's card is shown")
    check(d.find_element(By.ID, "pen").is_displayed() and
          d.find_element(By.ID, "eraser").is_displayed(), "an edges model: a pen and an eraser")

    canvas = d.find_element(By.ID, "input")
    ActionChains(d).move_to_element_with_offset(canvas, -60, -60).click_and_hold() \
        .move_by_offset(80, 30).move_by_offset(40, 70).release() \
        .move_to_element_with_offset(canvas, 30, -80).click_and_hold() \
        .move_by_offset(-50, 120).release().perform()
    wait.until(lambda d: d.execute_script("return window.pix2pixLast.done") > 0 and
               d.execute_script("return document.getElementById('status').textContent")
               .startswith("translated"))
    last = d.execute_script("return window.pix2pixLast")
    sent, got = data_bytes(last["input"]), data_bytes(last["output"])
    rc, expected, _ = translate(pix2pix, model, sent, ".png")
    check(rc == 0 and same_image(got, expected),
          "drawn strokes: the output is translate's of the input")
    check(len(set(sent)) > 10, "the strokes are on the input")
    check(d.find_element(By.ID, "download").get_attribute("href").startswith("blob:"),
          "the download link holds the output")

    shot = os.path.join(build_dir, "serve_page.png")
    d.save_screenshot(shot)
    check(os.path.getsize(shot) > 1000, f"the screenshot is kept: {shot}")
    print("screenshot:", shot)

    before = last["done"]
    upload_bytes = open(upload, "rb").read()
    d.find_element(By.ID, "file").send_keys(upload)

    # A translation of the strokes may still land after the upload's has started: wait for
    # the result whose input is the file (the check below fails if none comes within 60 s).
    def upload_answered(d):
        last = d.execute_script("return window.pix2pixLast")
        return last["done"] > before and data_bytes(last["input"]) == upload_bytes

    try:
        wait.until(upload_answered)
    except TimeoutException:
        pass
    last = d.execute_script("return window.pix2pixLast")
    rc, expected, _ = translate(pix2pix, model, upload_bytes, ".png")
    check(data_bytes(last["input"]) == upload_bytes and
          same_image(data_bytes(last["output"]), expected),
          "an uploaded file: sent as it is, translate's output back")

    d.set_window_size(400, 900)
    width = d.execute_script("return document.documentElement.scrollWidth")
    check(width <= 400, f"a narrow window: no sideways scrolling ({width} px)")

    urls = d.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    here = f"http://{s.host}:{s.port}/"
    check(all(u.startswith(here) or u.startswith("blob:") or u.startswith("data:")
              for u in urls), f"no request leaves the server ({len(urls)} resources)")
    errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    check(not errors, f"no errors in the console ({errors[:2]})")
finally:
    d.quit()
    check(s.stop() == 0, "SIGTERM: exit 0")
finish()
