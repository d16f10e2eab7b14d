"""``RestService``: what every answer of the main process is computed from (the analyst and the profiles of
the served store), a bounded memo of serialised answers, and the admission gate for work not yet memoised.

Answers are serialised once per distinct set of parameters and kept: the graph never changes while a
server runs, so a repeated question costs a dictionary lookup. The memo is bounded in entries and in bytes
(an answer larger than an eighth of the budget is served but not kept), so hostile callers cannot grow the
server's memory without limit. Routes receive the service through ``api.deps.Service``.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from functools import cached_property
from threading import Lock
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from api.admission import WorkGate
from api.problems import PROBLEM_BASE, ProblemError
from neaspec_kg.analysis import Analyst, DateError, UnknownFocusError, UnknownUnitError
from neaspec_kg.analysis.check import UnknownModalityError
from neaspec_kg.analysis.profiles import NotFoundError, Profiles
from neaspec_kg.catalogue import ParameterError
from neaspec_kg.store import QueryError, SparqlStore

JSON = "application/json"
#: the problem types the library's errors become (``api.problems`` documents them)
NOT_FOUND, INVALID = PROBLEM_BASE + "not-found", PROBLEM_BASE + "invalid-parameter"
T = TypeVar("T")


class Suggestion(BaseModel):
    """One of a problem document's ``suggestions``: a known id close to the one asked for (a mechanism, a
    country, a mechanism or platform id, a modality), with its label where the library gives one; a label it
    lacks is left out, not written as null. Unknown focus areas suggest ``ConceptRef``s instead."""

    model_config = ConfigDict(extra="forbid")

    id: str
    label: str | None = Field(default=None, exclude_if=lambda v: v is None)


class RestService:
    """The analysis objects of one store, and a bounded memo of serialised answers."""

    def __init__(self, store: SparqlStore, memo_size: int = 2048, memo_bytes: int = 64_000_000,
                 gate: WorkGate | None = None) -> None:
        self.store = store
        #: bounds the analysis work this process does for answers not yet memoised (``api.admission``)
        self.gate = gate or WorkGate()
        self.analyst = Analyst(store)
        self._memo: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._memo_size = memo_size
        self._memo_bytes = memo_bytes
        self._memo_total = 0
        self._lock = Lock()

    @cached_property
    def profiles(self) -> Profiles:
        """Made on first use, not at start-up: its lists are read from the store (seconds at 10,000
        mechanisms on disk), and a server should answer its health check before anyone asks for a profile."""
        return Profiles(self.store, self.analyst.sources, self.analyst.focus)

    def memo(self, key: tuple[Any, ...], produce: Callable[[], bytes]) -> bytes:
        """The bytes for ``key``, produced once a day; an exception is raised each time, never memoised.

        The graph never changes while a server runs, but "today" does: an answer asked without a date
        (memberships and participation as of today, the brief's date line) is only the same answer on the
        same day, so today's date is part of every key."""
        key = (date.today().isoformat(), *key)
        with self._lock:
            body = self._memo.get(key)
            if body is not None:
                self._memo.move_to_end(key)
                return body
        with self.gate.slot():
            with self._lock:  # another request may have produced it while this one waited
                body = self._memo.get(key)
            if body is None:
                body = produce()
        if len(body) > self._memo_bytes // 8:
            return body  # one answer may not take over the memo: served, not kept
        with self._lock:
            old = self._memo.pop(key, None)
            self._memo_total -= len(old) if old is not None else 0
            self._memo[key] = body
            self._memo_total += len(body)
            while len(self._memo) > self._memo_size or self._memo_total > self._memo_bytes:
                _, dropped = self._memo.popitem(last=False)
                self._memo_total -= len(dropped)
        return body

    def compute(self, compute: Callable[[], T]) -> T:
        """Analysis work whose result is not memoised as it is (a model later serialised several ways, an
        open-ended page): under the gate, library errors as problem documents."""
        with self.gate.slot():
            return translate_errors(compute)

    def answer(self, key: tuple[Any, ...], compute: Callable[[], object]) -> Response:
        """The memoised JSON answer for ``key``."""
        def produce() -> bytes:
            value = translate_errors(compute)
            if isinstance(value, BaseModel):
                return value.model_dump_json().encode("utf-8")
            return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

        return Response(self.memo(key, produce), media_type=JSON)


def translate_errors(compute: Callable[[], T]) -> T:
    """Run ``compute``, turning the library's errors into problem documents (4xx)."""
    try:
        return compute()
    except UnknownFocusError as exc:
        raise ProblemError(404, "Unknown focus area", str(exc),
                           type_=PROBLEM_BASE + "unknown-focus",
                           parameter="focus", value=exc.text,
                           suggestions=[s.concept.ref() for s in exc.suggestions]) from None
    except NotFoundError as exc:
        near = [Suggestion(id=s["id"], label=s.get("label")) for s in exc.suggestions]
        raise ProblemError(404, f"Unknown {exc.kind}", str(exc), type_=NOT_FOUND,
                           value=exc.ident, suggestions=near) from None
    except UnknownUnitError as exc:
        raise ProblemError(404, "Unknown mechanism, platform or country", str(exc),
                           type_=NOT_FOUND, value=exc.text,
                           suggestions=[Suggestion(id=x) for x in exc.suggestions]) from None
    except DateError as exc:
        raise ProblemError(400, "Invalid date", str(exc), parameter="as_of",
                           type_=INVALID) from None
    except UnknownModalityError as exc:
        raise ProblemError(400, "Unknown modality", str(exc), parameter="modalities", value=exc.text,
                           type_=INVALID,
                           suggestions=[Suggestion(id=m) for m in exc.known]) from None
    except ParameterError as exc:
        raise ProblemError(400, "Invalid parameter", str(exc), parameter=exc.param,
                           type_=INVALID) from None
    except QueryError as exc:
        raise ProblemError(400, "Query failed", str(exc)) from None


_FIRST_USE = Lock()


def service(request: Request) -> RestService:
    """The app's RestService: made by create_app at start-up, or on first use where the app defers it (a main
    process whose analyses run in an analysis process) or was assembled by hand."""
    state = request.app.state
    if getattr(state, "rest", None) is None:
        with _FIRST_USE:
            if getattr(state, "rest", None) is None:
                factory = getattr(state, "rest_factory", None)
                state.rest = factory() if factory is not None else RestService(state.store)
    rest: RestService = state.rest
    return rest
