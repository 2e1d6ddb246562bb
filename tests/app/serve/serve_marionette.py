"""A small Marionette client for the serve_page_firefox test: Debian 12 packages firefox-esr
but no geckodriver, so the test talks to Firefox's own remote protocol. Firefox runs headless
with --marionette and a fresh profile in a temporary folder; marionette.port 0 makes it take a
free port, which it writes to the profile's MarionetteActivePort file. Messages are
"LENGTH:JSON", a command [0, id, name, params] answered by [1, id, error, result]; the command
names and parameters are WebDriver's (WebDriver:Navigate, WebDriver:FindElement...).
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
PREFS = {
    "marionette.port": 0,
    # a fresh profile's first-run pages, updates and telemetry: nothing fetched from outside
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.startup.page": 0,
    "browser.aboutwelcome.enabled": False,
    "app.update.disabledForTesting": True,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "extensions.update.enabled": False,
    "browser.safebrowsing.update.enabled": False,
}


class MarionetteError(Exception):
    pass


class Firefox:
    """Headless Firefox (binary) driven over Marionette; quit() ends it and removes the
    profile."""

    def __init__(self, binary, width, height, timeout=120):
        self.profile = tempfile.mkdtemp(prefix="serve_page_firefox.")
        with open(os.path.join(self.profile, "user.js"), "w") as f:
            for k, v in PREFS.items():
                f.write(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n")
        self.log = open(os.path.join(self.profile, "firefox.log"), "w+")
        self.proc = subprocess.Popen(
            [binary, "--headless", "--marionette", "--remote-allow-system-access", "--no-remote",
             "--profile", self.profile, "about:blank"],
            stdout=self.log, stderr=subprocess.STDOUT,
            env={**os.environ, "MOZ_HEADLESS": "1", "MOZ_HEADLESS_WIDTH": str(width),
                 "MOZ_HEADLESS_HEIGHT": str(height)})
        self.sock, self.next_id, self.buf = None, 0, b""
        try:
            self.sock = self._connect(timeout)
            caps = self.command("WebDriver:NewSession", {"capabilities": {}})["capabilities"]
            self.version = f"{caps['browserName']} {caps['browserVersion']}"
        except BaseException:
            self.quit()
            raise

    def _connect(self, timeout):
        port_file = os.path.join(self.profile, "MarionetteActivePort")
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise MarionetteError(f"firefox exited with status {self.proc.returncode}: "
                                      f"{self.log_text()[-2000:]}")
            port = open(port_file).read().strip() if os.path.exists(port_file) else ""
            if port.isdigit():
                try:
                    sock = socket.create_connection(("127.0.0.1", int(port)), timeout)
                    self.sock = sock
                    self._receive()  # the greeting: {"applicationType": "gecko", ...}
                    return sock
                except OSError:
                    pass
            time.sleep(0.1)
        raise MarionetteError(f"no Marionette port from firefox within {timeout} s")

    def _receive(self):
        while b":" not in self.buf:
            self._read()
        head = self.buf.index(b":") + 1
        end = head + int(self.buf[:head - 1])
        while len(self.buf) < end:
            self._read()
        msg, self.buf = self.buf[head:end], self.buf[end:]
        return json.loads(msg)

    def _read(self):
        data = self.sock.recv(65536)
        if not data:
            raise MarionetteError("firefox closed the Marionette connection")
        self.buf += data

    def command(self, name, params=None):
        """The result of a Marionette command; MarionetteError with the browser's reason."""
        self.next_id += 1
        msg = json.dumps([0, self.next_id, name, params or {}]).encode()
        self.sock.sendall(str(len(msg)).encode() + b":" + msg)
        while True:
            kind, msg_id, error, result = self._receive()
            if kind == 1 and msg_id == self.next_id:
                break
        if error:
            raise MarionetteError(f"{name}: {error.get('error')}: {error.get('message')}")
        return result

    def value(self, name, params=None):
        return self.command(name, params)["value"]

    def get(self, url):
        self.command("WebDriver:Navigate", {"url": url})

    def find(self, element_id):
        return self.value("WebDriver:FindElement",
                          {"using": "css selector", "value": "#" + element_id})[ELEMENT]

    def script(self, body, *args):
        return self.value("WebDriver:ExecuteScript", {"script": body, "args": list(args)})

    def send_keys(self, element_id, text):
        self.command("WebDriver:ElementSendKeys", {"id": self.find(element_id), "text": text})

    def strokes(self, element_id, strokes):
        """Mouse strokes on an element: each a start (x, y) from its centre and the moves
        after it, relative to the pointer, with the button held."""
        origin = {ELEMENT: self.find(element_id)}
        steps = []
        for (x, y), moves in strokes:
            steps.append({"type": "pointerMove", "origin": origin, "x": x, "y": y,
                          "duration": 0})
            steps.append({"type": "pointerDown", "button": 0})
            for dx, dy in moves:
                steps.append({"type": "pointerMove", "origin": "pointer", "x": dx, "y": dy,
                              "duration": 100})
            steps.append({"type": "pointerUp", "button": 0})
        self.command("WebDriver:PerformActions", {"actions": [
            {"type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
             "actions": steps}]})
        self.command("WebDriver:ReleaseActions")

    def chrome_script(self, body):
        """body run in the browser's own window (its "chrome"), not in the page."""
        self.command("Marionette:SetContext", {"value": "chrome"})
        try:
            return self.script(body)
        finally:
            self.command("Marionette:SetContext", {"value": "content"})

    def set_window_size(self, width, height):
        # Firefox's toolbars hold its window at 500 px or more, even headless: lifted.
        self.chrome_script("document.documentElement.style.minWidth = '0px'")
        self.command("WebDriver:SetWindowRect", {"width": width, "height": height})

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.value("WebDriver:TakeScreenshot", {"full": False})))

    def console_errors(self, origin):
        """The errors reported by scripts and styles from origin (uncaught exceptions and
        rejections, syntax errors): those of Firefox's console service, which lacks the
        page's console.error() calls."""
        return self.chrome_script(
            "const E = Ci.nsIScriptError; return Services.console.getMessageArray()"
            ".filter(m => m instanceof E && !(m.flags & (E.warningFlag | E.infoFlag))"
            f" && m.sourceName.startsWith({json.dumps(origin)}))"
            ".map(m => m.sourceName + ':' + m.lineNumber + ': ' + m.errorMessage)")

    def log_text(self):
        self.log.flush()
        self.log.seek(0)
        text = self.log.read()
        self.log.seek(0, os.SEEK_END)
        return text

    def quit(self):
        if self.sock:
            try:
                self.command("Marionette:Quit", {"flags": ["eForceQuit"]})
            except (OSError, MarionetteError):
                pass
            self.sock.close()
            self.sock = None
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)
