"""One error shape for every failure: `{"error": kind, "detail": text}`.

Client mistakes (unknown route, wrong method, bad query or body, unknown
miner, bad token) are 4xx with a kind a script can branch on; only our own
bugs are 500, and those say nothing about internals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from loka_stratum.api.public.models import ErrorBody
from loka_stratum.observability.loggers import get_logger

log = get_logger("loka_stratum.api")

_KINDS: Final = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    422: "invalid_request",
    429: "rate_limited",
    503: "unavailable",
}


class ApiError(Exception):
    """Raised by handlers for a 4xx with a specific kind."""

    def __init__(
        self, status: int, kind: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.headers = headers


def error_response(
    status: int, kind: str, detail: str, headers: Mapping[str, str] | None = None
) -> Response:
    body = ErrorBody(error=kind, detail=detail).model_dump_json()
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the error body for each status."""
    return {status: {"model": ErrorBody} for status in statuses}


def _validation_detail(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(step) for step in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.kind, exc.detail, exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    kind = _KINDS.get(exc.status_code, "error")
    return error_response(exc.status_code, kind, str(exc.detail), exc.headers)


async def _invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, "invalid_request", _validation_detail(exc))


async def _unavailable(request: Request, exc: Exception) -> Response:
    """The database is down or not migrated yet: the pool's fault, and temporary."""
    log.warning(
        "API query failed", error_type="api_database_error", path=request.url.path, error=repr(exc)
    )
    return error_response(503, "unavailable", "statistics store unavailable, retry shortly")


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error(
        "API handler failed",
        error_type="api_internal_error",
        path=request.url.path,
        error=repr(exc),
    )
    return error_response(500, "internal_error", "internal error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    for failure in (SQLAlchemyError, OSError, TimeoutError):
        app.add_exception_handler(failure, _unavailable)
    app.add_exception_handler(Exception, _unexpected)
