"""Headless Chromium (Debian's `chromium` package), driven over the DevTools protocol.

Why the protocol rather than `chromium --screenshot URL`: Superset needs a logged-in session
and a few seconds to draw its charts, and a page's full height is known only once it has
rendered; the protocol lets us type the login like a person, wait until the page says it is
done, and size the picture to the page. Chromium runs with network-quiet flags (no update,
sync, field-trial or QUIC traffic) and a fresh temporary profile each time, and is stopped
by its PID. When `/usr/bin/chromium` is missing it is installed from Debian's package:
that is the project's install step for it, done here so the command works on a new machine.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from websockets.sync.client import connect

from taxi_platform.settings import ConfigError
from taxi_platform_dev.local.processes import terminate

CHROMIUM = Path("/usr/bin/chromium")
QUIET_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
)
INSTALL = (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"])


def ensure_chromium(say: Callable[[str], None] = print) -> Path:
    """`/usr/bin/chromium`, installed with apt-get first when missing (root only)."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0:
        raise ConfigError(
            f"{CHROMIUM} is missing: install Debian's package with "
            "`sudo apt-get update && sudo apt-get install -y chromium`, then rerun"
        )
    say("installing Debian's chromium package (first use only) …")
    for command in INSTALL:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        result = subprocess.run(command, env=env, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise ConfigError(
                f"`{' '.join(command)}` failed (exit {result.returncode}): see its output above"
            )
    return CHROMIUM


class Browser:
    """One headless Chromium page `width` pixels wide; use as a context manager."""

    def __init__(self, width: int = 1280, timeout: float = 60.0) -> None:
        self.width = width
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []

    def __enter__(self) -> Browser:
        self.profile = Path(tempfile.mkdtemp(prefix="taxi-chromium-"))
        self.log = self.profile / "chromium.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [
                    str(ensure_chromium()),
                    *QUIET_FLAGS,
                    f"--user-data-dir={self.profile}",
                    "--remote-debugging-port=0",
                    f"--window-size={self.width},900",
                    "about:blank",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            port = self._debugging_port()
            targets = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
            page = next(t for t in targets if t["type"] == "page")
            self.socket = connect(page["webSocketDebuggerUrl"], max_size=None)
            self.call("Page.enable")
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.socket.close()
        self._stop()

    def _stop(self) -> None:
        terminate(self.process.pid)
        self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def _debugging_port(self) -> int:
        """Chromium writes the port it chose (port 0 = any free one) into the profile."""
        active = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.process.poll() is None:
            if active.exists() and active.read_text().strip():
                return int(active.read_text().split()[0])
            time.sleep(0.1)
        tail = self.log.read_text()[-1500:]
        raise ConfigError(f"Chromium did not start (exit {self.process.poll()}): {tail}")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result (events are kept for `wait_event`)."""
        number = next(self._ids)
        self.socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=self.timeout))
            if message.get("id") == number:
                if "error" in message:
                    raise RuntimeError(f"Chromium {method}: {message['error']}")
                return message["result"]
            self._events.append(message)

    def _wait_event(self, method: str) -> None:
        deadline = time.monotonic() + self.timeout
        while not any(e.get("method") == method for e in self._events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"Chromium: no {method} within {self.timeout:.0f}s")
            self._events.append(json.loads(self.socket.recv(timeout=self.timeout)))

    def open(self, url: str) -> None:
        """Navigate and wait for the page's load event."""
        self._events.clear()
        self.call("Page.navigate", url=url)
        self._wait_event("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        answer = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return answer["result"].get("value")

    def wait_until(self, expression: str, what: str, timeout: float | None = None) -> None:
        """Poll a JavaScript condition until it holds."""
        limit = timeout or self.timeout
        deadline = time.monotonic() + limit
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                raise TimeoutError(f"Chromium: {what} did not happen within {limit:.0f}s")
            time.sleep(0.5)

    def type_into(self, selector: str, text: str) -> None:
        """Focus a field and type `text` as keyboard input (frameworks see real input)."""
        if not self.evaluate(f"(e => e ? (e.focus(), true) : false)({_query(selector)})"):
            raise RuntimeError(f"Chromium: no element {selector!r} to type into")
        self.call("Input.insertText", text=text)

    def press_enter(self) -> None:
        self.press("Enter", "Enter", 13, text="\r")

    def press(self, key: str, code: str, virtual: int, modifiers: int = 0, text: str = "") -> None:
        """One key as the keyboard sends it; `modifiers` 1 Alt, 2 Ctrl, 4 Meta, 8 Shift."""
        for kind in ("keyDown", "keyUp"):
            self.call(
                "Input.dispatchKeyEvent",
                type=kind,
                key=key,
                code=code,
                windowsVirtualKeyCode=virtual,
                modifiers=modifiers,
                **({"text": text} if text and kind == "keyDown" else {}),
            )

    def screenshot(self, out: Path, ready: str | None = None) -> Path:
        """A PNG of the whole page at `width` pixels (device scale 1), as tall as its content:
        measured in a short viewport, since a page is never shorter than its viewport. A page
        that redraws on resize is taken once its `ready` condition holds again."""
        self._resize(200)
        self._resize(self.evaluate("Math.ceil(document.documentElement.scrollHeight)"))
        if ready:
            self.wait_until(ready, "the redraw after resizing")
            time.sleep(2)  # entry animations
        return self.capture(out)

    def window(self, width: int, height: int, scale: float = 1.0) -> None:
        """A fixed `width` × `height` window drawn at `scale` (pictures `scale` times as many
        pixels wide): for an app that fills its window and scrolls inside it (the Dagster UI)."""
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=scale,
            mobile=False,
        )

    def wheel(self, x: int, y: int, delta: int, modifiers: int = 0) -> None:
        """One mouse-wheel step at (x, y); with Ctrl (`modifiers` 2) apps read it as a zoom."""
        self.call(
            "Input.dispatchMouseEvent",
            type="mouseWheel",
            x=x,
            y=y,
            deltaX=0,
            deltaY=delta,
            modifiers=modifiers,
        )

    def capture(self, out: Path) -> Path:
        """A PNG of the window as it is."""
        data = self.call("Page.captureScreenshot", format="png")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(data["data"]))
        return out

    def _resize(self, height: int) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=self.width,
            height=max(int(height), 200),
            deviceScaleFactor=1,
            mobile=False,
        )
        time.sleep(1)  # a frame at the new size (charts redraw on resize)


def _query(selector: str) -> str:
    return f"document.querySelector({json.dumps(selector)})"
