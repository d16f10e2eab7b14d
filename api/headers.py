"""Security headers on every answer, so the server can face clients without a proxy in front.

Every response: ``X-Content-Type-Options: nosniff`` (a JSON or CSV answer is never run as a script),
``X-Frame-Options: DENY`` and ``frame-ancestors 'none'`` (no page of ours inside someone else's frame),
``Referrer-Policy: no-referrer``; redirects name a path on this server, never the Host a client sent. Every
HTML page: a Content-Security-Policy that lets it load only from
this server (the views, the documentation and the editor are all served from here, nothing from a CDN);
a page that sets its own policy (the SPARQL editor) keeps it. Inline scripts and styles stay allowed: the
graph pages carry their data and drawing code inline so that a saved page works offline.
"""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
            "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
ALWAYS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
          (b"referrer-policy", b"no-referrer")]


def _relative(location: bytes) -> bytes:
    """A redirect to this server as a path: Starlette builds absolute redirects (trailing slashes) from the
    Host header a client sent, which would send a browser wherever that header said."""
    parts = urlsplit(location.decode("latin-1"))
    if not parts.scheme and not parts.netloc:
        return location
    return urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment)).encode("latin-1")


class SecurityHeaders:
    """Pure ASGI middleware (no buffering of bodies): adds the headers to the response start."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(n, _relative(v) if n.lower() == b"location" else v)
                           for n, v in message.get("headers", [])]
                present = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in ALWAYS if n not in present]
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html") and b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", PAGE_CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class HeadAsGet:
    """HEAD wherever GET works (RFC 9110 §9.3.2): the GET route answers, and only its headers are sent.

    FastAPI registers GET routes for GET only, so HEAD got 405; clients and link checkers use HEAD to ask
    whether a resource exists and what it is without downloading it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
