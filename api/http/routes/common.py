"""Pieces shared by the REST routes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query

from api.http.deps import require_api_key
from api.http.schemas import ErrorBody, ValidationErrorBody

AUTH = [Depends(require_api_key)]
Limit = Annotated[int, Query(ge=1, le=1000, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip")]
NO_NUL = r"^[^\x00]*$"  # for text parameters: PostgreSQL cannot compare with a NUL (a 500)


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The documented error answers: 401 always (every route here needs the API key)."""
    return {code: {"model": ValidationErrorBody if code == 422 else ErrorBody}
            for code in (401, *codes)}


def body_errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The same for routes with a JSON body: 422 when it does not match its schema, and 400 from
    FastAPI when it cannot even be read as text (not UTF-8)."""
    return errors(400, 422, *codes)
