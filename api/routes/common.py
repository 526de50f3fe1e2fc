"""Pieces shared by the REST routes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query

from api.deps import require_api_key
from api.schemas import ErrorBody

AUTH = [Depends(require_api_key)]
Limit = Annotated[int, Query(ge=1, le=1000, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip")]
RecordId = Annotated[int, Query(ge=1)]


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody} for code in (401, *codes)}
