"""Request and response models of the REST API (the public contract of SPEC §3)."""

from api.schemas.automation import (  # noqa: F401
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
from api.schemas.common import (  # noqa: F401
    MAX_ID,
    ErrorBody,
    Page,
    T,
    TicketStatus,
    ValidationErrorBody,
    ValidationIssue,
)
from api.schemas.processing import (  # noqa: F401
    CheckResult,
    ConnectorPublic,
    ConnectorUpdate,
    InboundMessagePublic,
    IngestResponse,
    OutboundMessagePublic,
    TestEmailRequest,
)
from api.schemas.records import (  # noqa: F401
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
