"""Request and response models of the REST API (the public contract of SPEC §3)."""

from api.http.schemas.automation import (  # noqa: F401
    AssetPublic,
    AutomationRuleCreate,
    AutomationRulePublic,
    AutomationRuleUpdate,
    ChargePublic,
    HistoryNotePublic,
    RuleAccountField,
    RuleKind,
    RuleLocation,
)
from api.http.schemas.common import (  # noqa: F401
    MAX_ID,
    ErrorBody,
    Page,
    T,
    TicketStatus,
    ValidationErrorBody,
    ValidationIssue,
)
from api.http.schemas.processing import (  # noqa: F401
    AcknowledgementPreviewPublic,
    AcknowledgementPreviewRequest,
    CheckResult,
    ConnectorPublic,
    ConnectorUpdate,
    InboundMessagePublic,
    IngestResponse,
    OutboundMessagePublic,
    TestEmailRequest,
)
from api.http.schemas.records import (  # noqa: F401
    AccountCreate,
    AccountPublic,
    AccountUpdate,
    AttachmentMeta,
    ContactCreate,
    ContactPublic,
    ContactUpdate,
    DocumentPublic,
    EmployeeCreate,
    EmployeePublic,
    EmployeeUpdate,
    TicketCreate,
    TicketPublic,
    TicketUpdate,
)
