"""Receiving a provider's webhook: its adapter, configured from the current settings, turns the
request into deliveries, and ingest stores them all before the answer (one commit, with the
provider's replay token in it)."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

from api.application.ingest import IngestWriter
from api.application.runtime_settings import RuntimeSettings
from domain.errors import Conflict, PayloadTooLarge
from domain.messages import Stored


@dataclass
class Received:
    stored: list[Stored]
    note: str | None


class Webhooks:
    """The registered providers, each built from its settings as they are now."""

    def __init__(self, providers: Any, ports: Any, settings: RuntimeSettings,
                 ingest: IngestWriter) -> None:
        self.providers = {p.name: p for p in providers}
        self._ports = ports
        self._settings = settings
        self._ingest = ingest
        self._built: dict[str, tuple[tuple[Any, ...], Any]] = {}
        self._lock = threading.Lock()

    def adapter(self, name: str) -> Any:
        """The provider's adapter, rebuilt only when one of its settings changed (an SNS
        certificate cache, for one, outlives requests)."""
        provider = self.providers[name]
        values = self._settings.current()
        key = tuple(getattr(values, s.name) for s in provider.settings)
        with self._lock:
            built = self._built.get(name)
            if built is None or built[0] != key:
                built = (key, provider.build(values, self._ports))
                self._built[name] = built
            return built[1]

    def token_required(self, name: str) -> bool:
        setting = self.providers[name].token_setting
        return bool(setting and getattr(self._settings.current(), setting))

    def precheck(self, name: str, headers: Any) -> int:
        """Refuse what the headers already show (a missing credential, an announced size over
        the limit) before a byte of the body is read; returns the largest body to read."""
        limit: int = self._settings.current().inbound_max_request_bytes
        own = self.providers[name].max_request_bytes
        limit = min(limit, own) if own else limit
        lowered = {k.lower(): v for k, v in headers}
        self.adapter(name).precheck(lowered)
        declared = lowered.get("content-length", "")
        if declared.strip().isdecimal() and int(declared) > limit:
            raise PayloadTooLarge(f"the body is {declared} bytes; {name} sends at most {limit}")
        return limit

    async def receive(self, name: str, request: Any) -> Received:
        adapter = self.adapter(name)
        # In a thread: parsing 30 MB or fetching an SNS certificate must not stall the loop.
        result = await asyncio.to_thread(adapter.receive, request)
        limit = self._settings.current().max_message_bytes
        for delivery in result.deliveries:
            if len(delivery.raw) > limit:
                raise PayloadTooLarge(f"a message of {len(delivery.raw)} bytes exceeds the limit "
                                      f"of {limit} (CONNECTOR_MAX_MESSAGE_BYTES)")
        stored = await asyncio.gather(*(
            self._ingest.submit(d, result.replay if i == 0 else None)
            for i, d in enumerate(result.deliveries)))
        if any(s.status == "replayed" for s in stored):
            raise Conflict(f"this {name} token was already used (a replayed request)")
        return Received(list(stored), result.note)
