"""Print the OpenAPI document (`make openapi` writes it to openapi/openapi.json)."""

from __future__ import annotations

import json
import tempfile
from typing import Any


def openapi_document() -> dict[str, Any]:
    from api.entrypoints.bootstrap import Settings
    from api.entrypoints.web import create_app

    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            database_url=f"sqlite:///{data_dir}/openapi.db", data_dir=data_dir,
            api_keys="openapi", inbound_password="openapi", admin_password="openapi",
            log_level="WARNING",
            _env_file=None,  # type: ignore[call-arg]
        )
        app = create_app(settings)
        document = app.openapi()
        app.state.process.stop()
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(render(openapi_document()), end="")
