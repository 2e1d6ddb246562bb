"""pix2pix serve's page in headless Chromium (Debian's chromium, chromium-driver and
python3-selenium; skipped, exit 77, where one is missing): the checks of serve_page_checks.py,
the screenshots kept as BUILD_DIR/serve_page.png and BUILD_DIR/serve_page_narrow.png.

usage: serve_page.py PIX2PIX FIXTURE_DIR BUILD_DIR
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_page_checks  # noqa: E402
from serve_util import finish  # noqa: E402

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
except ImportError:
    print("skipped: python3-selenium is missing (tools/install_deps.sh installs it)")
    sys.exit(77)
browser = shutil.which("chromium") or shutil.which("chromium-browser")
driver_path = shutil.which("chromedriver")
if not browser or not driver_path:
    print("skipped: chromium or chromium-driver is missing (tools/install_deps.sh installs them)")
    sys.exit(77)


class Chromium:
    """serve_page_checks' browser on selenium's Chrome driver."""

    def __init__(self, profile):
        opts = webdriver.ChromeOptions()
        opts.binary_location = browser
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1000,800", "--user-data-dir=" + profile):
            opts.add_argument(arg)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.d = webdriver.Chrome(service=Service(driver_path), options=opts)

    def get(self, url):
        self.d.get(url)

    def script(self, body, *args):
        return self.d.execute_script(body, *args)

    def strokes(self, element_id, strokes):
        element = self.d.find_element(By.ID, element_id)
        chain = ActionChains(self.d)
        for (x, y), moves in strokes:
            chain.move_to_element_with_offset(element, x, y).click_and_hold()
            for dx, dy in moves:
                chain.move_by_offset(dx, dy)
            chain.release()
        chain.perform()

    def send_keys(self, element_id, text):
        self.d.find_element(By.ID, element_id).send_keys(text)

    def set_window_size(self, width, height):
        self.d.set_window_size(width, height)

    def screenshot(self, path):
        self.d.save_screenshot(path)

    def console_errors(self, origin):
        return [e for e in self.d.get_log("browser") if e["level"] == "SEVERE"]

    def quit(self):
        self.d.quit()


pix2pix, fixtures, build_dir = (os.path.abspath(a) for a in sys.argv[1:4])
b = Chromium(os.path.join(build_dir, "serve_page_profile"))
try:
    serve_page_checks.run(b, "serve_page", pix2pix, fixtures, build_dir)
finally:
    b.quit()
finish()
