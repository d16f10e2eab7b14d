"""Printing a brief (or any self-contained HTML page) to PDF with headless Chromium.

Why Chromium and not a Python PDF library: the printable brief is one HTML document with a print stylesheet
(``@page`` size A4, repeated table headers, a figure that is never split, page numbers in the margin), and
the browser that shows it on screen is the one that lays it out best on paper, so the PDF from the command
line and the one a reader saves from ``/brief`` come out the same. Nothing here knows what a brief holds:
the HTML is rendered by ``api.brief_page`` (the command line imports it lazily, as ``serve`` imports the
app), so the library never imports the web layer.

Chromium runs with no network (every host is unresolvable), in a throwaway profile, in its own process
group under a time limit; a missing browser is a clear error that says how to get one, never a traceback.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from neaspec_kg.errors import NeaspecKgError

#: the environment variable that names the browser to use (else ``chromium`` on PATH)
ENV_VAR = "CHROMIUM"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: flags that work as root with no network (shared/research/browser-notes.md); one argument each
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio", "--no-pdf-header-footer",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)
DEFAULT_TIMEOUT_S = 120.0


class PrintError(NeaspecKgError):
    """The PDF could not be made: no browser, the browser failed, or it took too long."""


def find_chromium(explicit: str | None = None) -> str:
    """The browser to print with: ``explicit``, else ``$CHROMIUM``, else the first candidate on PATH."""
    wanted = explicit or os.environ.get(ENV_VAR)
    if wanted:
        found = shutil.which(wanted) or (wanted if os.path.isfile(wanted) and os.access(wanted, os.X_OK) else None)
        if found is None:
            source = "given" if explicit else f"from ${ENV_VAR}"
            raise PrintError(f"cannot print to PDF: the browser {wanted!r} ({source}) is not an executable file")
        return found
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise PrintError("cannot print to PDF: headless Chromium is needed and none of "
                     f"{', '.join(CANDIDATES)} is on PATH; install it (Debian: apt-get install chromium, or "
                     f"`make system-deps`), set {ENV_VAR}=/path/to/chromium, or write HTML instead (--html)")


def print_pdf(html: str, output: str | Path, *, chromium: str | None = None,
              timeout_s: float = DEFAULT_TIMEOUT_S) -> int:
    """Print ``html`` (a complete, self-contained document) to ``output`` as PDF; return the file's size.

    The page is written to a temporary folder and opened as ``file://``: nothing is served and nothing can
    be fetched, so a page that would need the network prints without it rather than hanging.
    """
    browser = find_chromium(chromium)
    out = Path(output).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="neaspec-kg-print-") as tmp:
        page = Path(tmp) / "brief.html"
        page.write_text(html, encoding="utf-8")
        target = Path(tmp) / "brief.pdf"
        cmd = [browser, *FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}", f"--print-to-pdf={target}",
               page.as_uri()]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the browser and its helpers: the group this call started
            proc.communicate()
            raise PrintError(f"cannot print to PDF: {browser} did not finish within {timeout_s:g} s") from None
        if proc.returncode != 0 or not target.is_file() or not target.read_bytes().startswith(b"%PDF"):
            tail = "\n".join(err.decode("utf-8", "replace").strip().splitlines()[-5:])
            raise PrintError(f"cannot print to PDF: {browser} exited with code {proc.returncode} and wrote no "
                             f"PDF{': ' + tail if tail else ''}")
        shutil.copyfile(target, out)
    return out.stat().st_size
