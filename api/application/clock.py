"""The one clock of the application layer (aware UTC), and its private folders."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path


def utcnow() -> datetime:
    return datetime.now(UTC)


def private_folder(path: Path) -> None:
    """Create the folder, and each missing parent, readable by the owner only (mkdir's own
    `mode` applies to the last folder alone)."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
