"""Map errors to HTTP responses: one line of detail naming the field, never a traceback.

Status codes follow RFC 9110: 400 bad input, 401 (with ``WWW-Authenticate: Bearer``, RFC
6750), 403, 404, 409, 413, 422 (FastAPI's field-level validation list), 429 with
``Retry-After`` (RFC 6585). Any other exception is logged by type only (never its content,
which might include roster data) and answered with a generic 500.
"""

from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from crowdguard.errors import AuthError, CrowdGuardError
from crowdguard.store.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    TooManyAttemptsError,
    UnauthenticatedError,
)

__all__ = ["ERROR_RESPONSES", "ErrorDetail", "install_error_handlers", "status_for"]

log = logging.getLogger("crowdguard.api")


class ErrorDetail(BaseModel):
    """Every non-validation error: one line naming the field and what was expected."""

    detail: str


_ERR: dict[str, object] = {"model": ErrorDetail}
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {**_ERR, "description": "Bad input (names the field)"},
    401: {**_ERR, "description": "Missing, expired, revoked or unknown token"},
    403: {**_ERR, "description": "Not allowed for this role, team or time"},
    404: {**_ERR, "description": "No such record (or not yours to see)"},
    409: {**_ERR, "description": "Clashes with an existing record"},
    413: {**_ERR, "description": "Request body over the size limit"},
    429: {**_ERR, "description": "Too many failed logins; see Retry-After"},
}


def status_for(exc: CrowdGuardError) -> int:
    """The HTTP status for a CrowdGuard error."""
    if isinstance(exc, TooManyAttemptsError):
        return 429
    if isinstance(exc, UnauthenticatedError):
        return 401
    if isinstance(exc, ForbiddenError | AuthError):
        return 403
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ConflictError):
        return 409
    return 400 if exc.exit_code == 2 else 500


async def _crowdguard_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CrowdGuardError)
    status = status_for(exc)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, TooManyAttemptsError):
        headers["Retry-After"] = str(exc.retry_after)
    if status >= 500:
        log.error("internal fault: %s", type(exc).__name__)
        return JSONResponse({"detail": "internal error"}, status_code=status)
    return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ValidationError)
    errors = [
        {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
        for e in exc.errors(include_url=False, include_input=False)
    ]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


def _json_safe(value: object) -> object:
    """``value`` with non-finite floats as text, so an error can quote what was sent."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


async def _request_validation_error(_: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 for a request that fails validation, in its usual shape, but never
    failing itself: an ``input`` the JSON encoder refuses (``Infinity`` in a query or form)
    used to turn the 422 into a 500."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {k: _json_safe(jsonable_encoder(v)) for k, v in e.items() if k != "url"}
        for e in exc.errors()
    ]
    return JSONResponse({"detail": errors}, status_code=422)


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.error("internal fault: %s", type(exc).__name__)
    return JSONResponse({"detail": "internal error"}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(CrowdGuardError, _crowdguard_error)
    app.add_exception_handler(ValidationError, _validation_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(Exception, _unexpected)
