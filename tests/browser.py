"""Headless Chromium for the browser tests: Debian's ``chromium`` and ``chromedriver`` driven by Selenium 4.

Nothing is downloaded (Selenium is given the driver and the browser explicitly) and nothing can leave the
machine: ``--host-resolver-rules`` makes every host but 127.0.0.1 unresolvable, so a page that tries a CDN
fails with ``net::ERR_NAME_NOT_RESOLVED`` and the performance log still records the attempt, which is what
``Browser.external_requests`` reports. Chromium missing is a test *failure*, not a skip: ``make test``
installs it, and a browser test that silently skips proves nothing (see shared/research/browser-notes.md).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.action_builder import ActionBuilder

CHROMIUM = os.environ.get("NEASPEC_KG_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("NEASPEC_KG_CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"

#: flags that work as root with no network (browser-notes.md); each flag is a separate argument
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)


def require_chromium() -> None:
    """Fail (never skip) when the browser or its driver is missing."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (os.path.isfile(p) and os.access(p, os.X_OK))]
    if missing:
        pytest.fail(f"headless Chromium is required for the browser tests but {', '.join(missing)} is missing: "
                    "run `make system-deps` (apt-get install chromium chromium-driver) or `make test`",
                    pytrace=False)


@dataclass
class Paint:
    """What the canvas holds: its size and how many sampled pixels are not transparent."""

    width: int
    height: int
    painted: int


class Browser:
    """A thin layer over a Selenium driver with the probes the tests need."""

    def __init__(self, driver: webdriver.Chrome) -> None:
        self.driver = driver

    # ---- navigation and logs

    def open(self, url: str) -> None:
        """Load ``url`` with fresh logs (reading a log drains it)."""
        self.drain()
        self.driver.get(url)

    def drain(self) -> None:
        self.driver.get_log("browser")
        self.driver.get_log("performance")

    def console_errors(self) -> list[str]:
        """Console messages at level SEVERE since the last read (JS errors, failed loads)."""
        return [e["message"] for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]

    def requests(self) -> list[str]:
        """Every URL the page asked for since the last read (from the DevTools performance log)."""
        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return urls

    @staticmethod
    def external(urls: list[str]) -> list[str]:
        """The URLs that would leave 127.0.0.1 (data:, blob: and about: URLs stay in the page)."""
        out = []
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme in {"data", "blob", "about", "chrome", "devtools"}:
                continue
            if parts.scheme not in {"http", "https", "ws", "wss"} or parts.hostname != "127.0.0.1":
                out.append(url)
        return out

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    # ---- graph pages

    def wait_graph_ready(self, timeout_s: float = 20.0) -> float:
        """Wait until nk-graph.js says the layout has settled and the canvas was drawn; return the seconds."""
        start = time.monotonic()
        while time.monotonic() - start < timeout_s:
            if self.js("return document.documentElement.dataset.nkReady === '1'"):
                return time.monotonic() - start
            time.sleep(0.05)
        raise TimeoutError(f"the graph page was not ready within {timeout_s} s; console: {self.console_errors()}")

    def counts(self) -> tuple[int, int]:
        """Nodes and edges vis-network holds (pyvis' globals)."""
        n, e = self.js("return [network.body.data.nodes.length, network.body.data.edges.length]")
        return int(n), int(e)

    def paint(self) -> Paint:
        """Count non-transparent pixels on a grid over the network canvas."""
        w, h, painted = self.js("""
            const c = document.querySelector('#mynetwork canvas');
            const ctx = c.getContext('2d');
            const d = ctx.getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let y = 0; y < c.height; y += 4) for (let x = 0; x < c.width; x += 4)
                if (d[(y * c.width + x) * 4 + 3] > 0) n++;
            return [c.width, c.height, n];""")
        return Paint(int(w), int(h), int(painted))

    def node_position(self, node_id: str) -> tuple[float, float]:
        """Where a node is drawn, in viewport coordinates."""
        x, y = self.js("""
            const id = arguments[0];
            const p = network.canvasToDOM(network.getPositions([id])[id]);
            const r = document.getElementById('mynetwork').getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];""", node_id)
        return float(x), float(y)

    def click_at(self, x: float, y: float) -> None:
        """A real mouse click (pointer down and up) at viewport coordinates."""
        actions = ActionBuilder(self.driver)
        actions.pointer_action.move_to_location(round(x), round(y))
        actions.pointer_action.click()
        actions.perform()
        ActionChains(self.driver).reset_actions()

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path


@contextmanager
def chromium(width: int = 1440, height: int = 900) -> Iterator[Browser]:
    """A headless Chromium with console and network logging, in a throwaway profile."""
    require_chromium()
    profile = tempfile.mkdtemp(prefix="neaspec-kg-chromium-")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield Browser(driver)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
