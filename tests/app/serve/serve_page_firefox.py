"""pix2pix serve's page in headless Firefox (Debian's firefox-esr, driven by serve_marionette:
Debian packages no geckodriver; skipped, exit 77, where Firefox is missing): the checks of
serve_page_checks.py, the screenshots kept as BUILD_DIR/serve_page_firefox.png and
BUILD_DIR/serve_page_firefox_narrow.png.

usage: serve_page_firefox.py PIX2PIX FIXTURE_DIR BUILD_DIR
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_page_checks  # noqa: E402
from serve_marionette import Firefox  # noqa: E402
from serve_util import finish  # noqa: E402

binary = shutil.which("firefox-esr")
if not binary:
    print("skipped: firefox-esr is missing (tools/install_deps.sh installs it)")
    sys.exit(77)

pix2pix, fixtures, build_dir = (os.path.abspath(a) for a in sys.argv[1:4])
b = Firefox(binary, 1000, 800)
try:
    print("browser:", b.version)
    serve_page_checks.run(b, "serve_page_firefox", pix2pix, fixtures, build_dir)
finally:
    b.quit()
finish()
