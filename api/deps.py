"""What routes are given (FastAPI ``Depends``) instead of looking it up: the REST service of the served
store, the server's settings and its SPARQL pool. Everything lives on ``app.state``, set once by
``api.app.create_app``; a route names what it needs by type (``s: Service``) and tests can override it."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.query_pool import QueryPool
from api.remote_pool import RemotePool
from api.service import RestService, service
from api.settings import Settings


def get_service(request: Request) -> RestService:
    """The analysis objects and the memo of the store this app serves."""
    return service(request)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_pool(request: Request) -> QueryPool | RemotePool:
    pool: QueryPool | RemotePool = request.app.state.pool
    return pool


Service = Annotated[RestService, Depends(get_service)]
ServerSettings = Annotated[Settings, Depends(get_settings)]
Pool = Annotated[QueryPool | RemotePool, Depends(get_pool)]
