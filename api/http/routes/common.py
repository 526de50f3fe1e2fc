"""Pieces shared by the REST routes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from pydantic import AfterValidator, BeforeValidator

from api.http.deps import require_api_key
from api.http.schemas import ErrorBody, ValidationErrorBody

AUTH = [Depends(require_api_key)]
Limit = Annotated[int, Query(ge=1, le=1000, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip")]
NO_NUL = r"^[^\x00]*$"  # for text parameters: PostgreSQL cannot compare with a NUL (a 500)


RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def _rfc3339(value: Any) -> Any:
    """Only what the document promises (format date-time: RFC 3339, with its offset), not the
    numbers and bare dates pydantic would also take."""
    if value is not None and not (isinstance(value, str) and RFC3339.fullmatch(value)):
        raise ValueError("an RFC 3339 time with its offset, e.g. 2026-12-01T09:30:00Z")
    return value


def _in_utc(value: datetime | None) -> datetime | None:
    """The time in UTC; one outside what UTC can hold is refused (a 422, not a 500)."""
    try:
        return None if value is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range") from None


UpdatedSince = Annotated[datetime | None, BeforeValidator(_rfc3339), AfterValidator(_in_utc),
                         Query(description="Only those changed at or after this time "
                               "(RFC 3339, e.g. 2026-12-01T09:30:00Z)")]
Sort = Annotated[Literal["-id", "id", "-updated_at", "updated_at"], Query(
    description="-id: newest first (the default); id: oldest first; updated_at: by last "
    "change, oldest first (with updated_since, to follow changes page by page); "
    "-updated_at: most recently changed first")]


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The documented error answers: 401 always (every route here needs the API key)."""
    return {code: {"model": ValidationErrorBody if code == 422 else ErrorBody}
            for code in (401, *codes)}


def body_errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The same for routes with a JSON body: 422 when it does not match its schema, and 400 from
    FastAPI when it cannot even be read as text (not UTF-8)."""
    return errors(400, 422, *codes)
