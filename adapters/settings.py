"""Configuration from the environment (CONNECTOR_ prefix, .env supported), validated at start-up.

Built by the composition root (api.main.create_app), never at import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.ticket_threading import compile_ticket_pattern

MiB = 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CONNECTOR_", env_file=".env", env_ignore_empty=True, extra="ignore"
    )

    database_url: str = "sqlite:///./var/connector.db"
    data_dir: Path = Path("./var")
    backup_dir: Path | None = None
    status: Literal["on", "off"] = "on"
    public_address: str = "support@example.com"
    support_team_address: str = "support-team@example.com"
    from_address: str | None = None
    api_keys: SecretStr | None = None
    inbound_username: str | None = None
    inbound_password: SecretStr | None = None
    mailgun_signing_key: SecretStr | None = None
    ses_topic_arns: str | None = None

    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_timeout_seconds: float = 30.0

    xml_api_enabled: bool = False
    xml_api_password: SecretStr | None = None
    xml_api_response_bcc: str | None = None

    acknowledge_new_tickets: bool = True
    acknowledgements_per_hour: int = Field(default=5, ge=0)
    forwards_per_sender_per_hour: int = Field(default=30, ge=0)
    undeliverable_days: int = Field(default=30, ge=0)  # no automatic mail after a hard bounce
    ticket_subject_pattern: str | None = None
    # Spoofed employee replies (domain/authentication.py): an active employee's reply failing
    # DMARC, or both SPF and DKIM, in the trusted Authentication-Results is forwarded as a
    # customer reply. Trusted authserv-ids, comma-separated; unset: the topmost header only.
    # Passed into domain.model.Policy by api/services/runtime_config.py.
    distrust_failed_employee_auth: bool = True
    trusted_authserv_ids: str | None = None
    max_message_bytes: int = Field(default=40 * MiB, gt=0)

    # Processing: inside the web process by default; set false when a separate worker runs.
    inline_worker: bool = True
    # POST /inbound/raw served by a lean ASGI path instead of FastAPI's router (same behaviour,
    # a fraction of the CPU per request); off only to compare or debug.
    inbound_fast_path: bool = True
    migrate_on_start: bool = True
    batch_size: int = Field(default=32, ge=1, le=500)
    lease_seconds: float = Field(default=300.0, gt=0)
    max_processing_attempts: int = Field(default=3, ge=1)
    poll_seconds: float = Field(default=0.5, gt=0)
    outbox_max_attempts: int = Field(default=8, ge=1)
    outbox_retry_base_seconds: float = Field(default=30.0, ge=0)
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"
    # Messages are read (parsed) in this many child processes, each under a time limit;
    # 0 reads them in the worker thread itself, without a time limit.
    reader_processes: int = Field(default=1, ge=0, le=64)
    message_time_limit_seconds: float = Field(default=60.0, gt=0)
    worker_metrics_port: int | None = None  # the worker process serves /metrics here when set

    # --- provider webhooks (docs/providers.md) ---------------------------------------------------
    # The largest webhook request body: above the largest message, because providers that post
    # JSON carry attachments in base64 (+33%) and Postmark may send them twice (RawEmail too).
    inbound_max_request_bytes: int = Field(default=120 * MiB, gt=0)
    # Mailgun retries for 8 hours and may not re-sign retries; tokens are remembered this long.
    mailgun_max_age_seconds: int = Field(default=8 * 3600 + 15 * 60, ge=60)
    mandrill_webhook_key: SecretStr | None = None
    mandrill_webhook_url: str | None = None  # exactly as entered in Mandrill (it is signed)
    sparkpost_webhook_token: SecretStr | None = None  # the relay webhook's auth_token
    resend_webhook_secret: SecretStr | None = None  # whsec_... of the inbound webhook
    resend_api_key: SecretStr | None = None
    resend_api_url: str = "https://api.resend.com"
    brevo_api_key: SecretStr | None = None  # to download attachments
    brevo_api_url: str = "https://api.brevo.com/v3"

    @field_validator("ticket_subject_pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        if value:
            compile_ticket_pattern(value)
        return value

    @field_validator("public_address", "support_team_address", "from_address",
                     "xml_api_response_bcc")
    @classmethod
    def _looks_like_address(cls, value: str | None) -> str | None:
        if value is not None and "@" not in value:
            raise ValueError(f"{value!r} is not an email address")
        return value.strip() if value else value

    @model_validator(mode="after")
    def _response_bcc_is_not_public(self) -> Settings:
        # RangerMSP: "DO NOT send these automatic emails to the Email Connector Incoming Email
        # Address": a Bcc to ourselves would be processed as new mail, a loop.
        bcc = (self.xml_api_response_bcc or "").lower()
        if bcc and bcc == self.public_address.lower():
            raise ValueError("CONNECTOR_XML_API_RESPONSE_BCC must not be the public address")
        return self

    @property
    def effective_from_address(self) -> str:
        return self.from_address or self.public_address

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
