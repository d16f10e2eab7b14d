"""The analyst notebook runs top to bottom in a fresh kernel and shows what it claims to show.

The notebook is executed once per module with nbclient (kernel "python3", cwd notebooks/), and the
assertions read its outputs, found by cell tag: the overlap table names the four air-quality
mechanisms, the duplication explanations are printed, the plot is a PNG, and the inline network view
is a self-contained page that loads nothing from the internet. The stored notebook must be clean
(no outputs, no execution counts), so it is never committed with stale results.
"""
from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbclient import NotebookClient

from neaspec_kg.analysis import Analyst
from neaspec_kg.store import OxigraphStore

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "overlap_and_duplication.ipynb"
KERNEL = "python3"
CELL_TIMEOUT = 120

#: an http(s) or protocol-relative URL in a src= or href= attribute, in raw (unparsed) HTML
EXTERNAL_ATTR = re.compile(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Make sure jupyter finds a "python3" kernel that runs this interpreter. Normally ipykernel in the
    venv provides it; if not, install its spec into a private prefix (never the user's own jupyter dirs)."""
    try:
        KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        prefix = tmp_path_factory.mktemp("jupyter")
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--prefix", str(prefix), "--name", KERNEL],
                       check=True, capture_output=True)
        with pytest.MonkeyPatch.context() as mp:
            paths = [str(prefix / "share" / "jupyter"), os.environ.get("JUPYTER_PATH", "")]
            mp.setenv("JUPYTER_PATH", os.pathsep.join(p for p in paths if p))
            KernelSpecManager().get_kernel_spec(KERNEL)  # now found, or the test fails here, clearly
            yield
        return
    yield


@pytest.fixture(scope="module")
def executed(kernel_env: None) -> dict[str, Any]:
    """The notebook run top to bottom in a fresh kernel, from notebooks/ (as an analyst opens it)."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=CELL_TIMEOUT,
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    started = time.monotonic()
    client.execute()
    return {"nb": nb, "seconds": time.monotonic() - started}


def tagged(nb: nbformat.NotebookNode, tag: str) -> nbformat.NotebookNode:
    cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
    assert isinstance(cells[0], nbformat.NotebookNode)
    return cells[0]


def output_text(cell: nbformat.NotebookNode) -> str:
    """Everything a reader sees of a cell's output, as text: streams, plain text and HTML."""
    parts = []
    for out in cell.outputs:
        if out.output_type == "stream":
            parts.append(out.text)
        for mime in ("text/plain", "text/html"):
            if mime in out.get("data", {}):
                parts.append(out.data[mime])
    return "\n".join(parts)


class _Attributes(HTMLParser):
    """Every (tag, attribute, value) in a page, descending into iframe srcdoc pages."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str]] = []
        self.srcdocs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            self.found.append((tag, name, value))
            if tag == "iframe" and name == "srcdoc":
                self.srcdocs.append(value)


def all_attributes(page: str) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Attributes of the page and of every page embedded with srcdoc; and the embedded pages themselves."""
    parser = _Attributes()
    parser.feed(page)
    parser.close()
    found, pages = list(parser.found), [page]
    for inner in parser.srcdocs:
        more, inner_pages = all_attributes(inner)
        found += more
        pages += inner_pages
    return found, pages


# --------------------------------------------------------------------------- the stored notebook


def test_stored_notebook_is_clean() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata["kernelspec"]["name"] == KERNEL
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "the notebook has no code cells"
    for i, cell in enumerate(code):
        assert cell.outputs == [], f"code cell {i} is stored with outputs"
        assert cell.execution_count is None, f"code cell {i} is stored with an execution count"
    assert all(c.cell_type == "markdown" for c in nb.cells[:1]), "the notebook should open with an explanation"


def test_stored_notebook_does_not_depend_on_cwd() -> None:
    """No path into the checkout or the user's machine in the code: the library finds the data itself."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for needle in ("/work/", "../", "os.chdir", "sys.path", "Path.home", "expanduser"):
        assert needle not in source, f"notebook code mentions {needle!r}"


# --------------------------------------------------------------------------- the executed notebook


def test_runs_without_errors(executed: dict[str, Any]) -> None:
    nb = executed["nb"]
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        assert cell.execution_count is not None, f"code cell {i} did not run"
        for out in cell.outputs:
            assert out.output_type != "error", f"code cell {i}: {out.get('ename')}: {out.get('evalue')}"
            if out.output_type == "stream" and out.name == "stderr":
                assert "Traceback" not in out.text and "Error" not in out.text, out.text


def test_graph_is_built_and_validated(executed: dict[str, Any]) -> None:
    first = next(c for c in executed["nb"].cells if c.cell_type == "code")
    assert "SHACL-validated" in output_text(first)


def test_overlap_on_air_quality(executed: dict[str, Any]) -> None:
    nb = executed["nb"]
    text = output_text(tagged(nb, "overlap"))
    for name in ("NEASPEC", "TEMM", "EANET", "LTP"):
        assert name in text, f"{name} missing from the air-quality overlap"
    assert "NEACAP" in text, "NEASPEC works on air quality through NEACAP"
    assert "Table 2" in text, "each row carries its sources"
    shared = output_text(tagged(nb, "overlap-shared"))
    assert all(iso in shared for iso in ("CHN", "JPN", "KOR"))
    engagements = output_text(tagged(nb, "overlap-engagements"))
    assert "limited substantive cooperation" in engagements, "the stated limits of engagements are shown"


def test_duplication_table_and_explanations(executed: dict[str, Any], store: OxigraphStore) -> None:
    """The notebook shows what the library computes (expected values come from the store, not from here)."""
    top = Analyst(store).duplication(limit=1).pairs[0]
    nb = executed["nb"]
    table = output_text(tagged(nb, "duplication"))
    assert f"{top.a.acronym} / {top.b.acronym}" in table and top.level in table
    explained = output_text(tagged(nb, "duplication-explanations"))
    assert top.explanation.split(".")[0] in explained
    assert "eliminate duplication" in explained, "the note's own words are quoted"
    assert "Sources:" in explained


@pytest.mark.parametrize("tag", ["plot", "plot-overlap"])
def test_plots_are_images(executed: dict[str, Any], tag: str) -> None:
    images = [out.data["image/png"] for out in tagged(executed["nb"], tag).outputs
              if "image/png" in out.get("data", {})]
    assert len(images) == 1, f"the {tag} cell should produce one image/png output, found {len(images)}"
    png = base64.b64decode(images[0])
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_inline_view_is_offline(executed: dict[str, Any]) -> None:
    outputs = [out.data["text/html"] for out in tagged(executed["nb"], "inline-view").outputs
               if "text/html" in out.get("data", {})]
    assert len(outputs) == 1, "the view cell should display one HTML output"
    attributes, pages = all_attributes(outputs[0])
    assert len(pages) == 2, "the view is one self-contained page embedded with srcdoc"
    bad = [(t, n, v[:80]) for t, n, v in attributes
           if n in {"src", "href"} and re.match(r"\s*(?:https?:)?//", v, re.IGNORECASE)]
    assert not bad, f"external resources in the inline view: {bad}"
    for page in pages:  # and by a plain text search, in case a tag is malformed enough to escape the parser
        found = EXTERNAL_ATTR.search(page)
        assert found is None, page[max(found.start() - 80, 0):found.end() + 80] if found else ""
    inner = pages[1]
    assert "<script src=" not in inner and '<link rel="stylesheet"' not in inner, "scripts and styles are inlined"
    assert "vis.Network" in inner and "drawGraph" in inner, "the vis-network library and drawing code are inline"
    for name in ("NEASPEC", "TEMM", "EANET", "LTP"):
        assert name in inner
