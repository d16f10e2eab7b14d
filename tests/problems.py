"""The check every test of an error answer makes: an RFC 9457 problem document with the status, a title and,
when asked, the problem type's last segment (``slug``)."""
from __future__ import annotations

from typing import Any

import httpx

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, slug: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"]
    if slug:
        assert body["type"].endswith("/" + slug), body
    return body
