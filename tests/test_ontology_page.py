"""``/ontology`` in headless Chromium opens on the classes and properties, named readably (issue 12, item 6).

The page opened on the ontology's metadata table, with IRIs such as
``http://purl.org/vocab/vann/preferredNamespacePrefix`` wrapped over three lines. Here: the first heading after
the page's title is the classes', and it is on the first screen; each term shows its label, its prefixed name
(``nk:Mechanism``) and its definition; the metadata comes after the terms; and no table cell, term or link
shows a full IRI in a namespace the ontology's Turtle files declare a prefix for (or the graph's own prefixes).
Screenshot: ``artifacts/screenshots/ontology-classes.png``.
"""
from __future__ import annotations

import re
import time

import rdflib

from neaspec_kg.config import PROJECT_ROOT
from neaspec_kg.namespaces import NK, PREFIXES
from tests.browser import Browser


def known_namespaces() -> dict[str, str]:
    """The graph's prefixes and every prefix the ontology's Turtle files declare (vann, foaf, ...)."""
    out = dict(PREFIXES)
    for path in sorted((PROJECT_ROOT / "ontology").glob("*.ttl")):
        g = rdflib.Graph(bind_namespaces="none")
        g.parse(path, format="turtle")
        out.update({p: str(ns) for p, ns in g.namespaces() if p})
    return out


def test_ontology_opens_on_classes_with_readable_names(browser: Browser, base_url: str) -> None:
    browser.open(base_url + "/ontology")
    time.sleep(0.1)
    assert browser.console_errors() == [] and browser.external(browser.requests()) == []
    headings = browser.js("""
        return [...document.querySelectorAll('main h1, main h2')].map(
            h => [h.tagName, h.id, h.textContent.trim(), h.getBoundingClientRect().top]);""")
    assert headings[0][0] == "H1"
    tag, anchor, text, top = headings[1]
    assert tag == "H2" and anchor == "classes" and "class" in text.lower(), headings[:3]
    assert top < browser.js("return window.innerHeight"), "the classes are not on the first screen"
    order = [h[1] for h in headings[1:]]
    assert order.index("about") > max(order.index(a) for a in ("classes", "object-properties")), order

    mechanism = browser.js("""
        const dt = document.getElementById('Mechanism');
        return [dt.textContent.replace(/\\s+/g, ' ').trim(), dt.nextElementSibling.textContent.trim()];""")
    assert "nk:Mechanism" in mechanism[0] and mechanism[0].split(" nk:")[0].strip(), mechanism
    assert len(mechanism[1]) > 20 and mechanism[1] != "No definition.", mechanism

    # a full IRI is a namespace followed by a name; the literal value of vann:preferredNamespaceUri is the bare
    # namespace, which is what it says
    full = re.compile("(" + "|".join(re.escape(ns) for ns in known_namespaces().values()) + r")[\w.-]")
    shown = browser.js("""
        return [...document.querySelectorAll('main td, main th, main dt, main dd, main a')].map(
            e => e.textContent.replace(/\\s+/g, ' ').trim());""")
    assert shown and not [s for s in shown if full.search(s)], [s for s in shown if full.search(s)][:5]
    assert NK + "Mechanism" not in browser.js("return document.querySelector('main').innerText")
    browser.js("document.getElementById('about').scrollIntoView()")
    browser.screenshot("ontology-about")
    browser.js("window.scrollTo(0, 0)")
    browser.screenshot("ontology-classes")
