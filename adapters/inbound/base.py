"""What every inbound adapter produces, whatever the provider."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class InboundDelivery:
    raw: bytes
    source: str
    envelope_from: str | None = None
    envelope_to: tuple[str, ...] = ()
    provider_event_id: str | None = None
    spam_score: float | None = None
    spam_verdict: str | None = None
