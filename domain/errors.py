"""Domain errors. The HTTP mapping lives in one table: api/errors.py."""


class DomainError(Exception):
    """Base of every error the rules or services raise on purpose."""


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    pass


class InvalidInput(DomainError):
    """A request that is well-formed JSON/HTTP but breaks a rule."""


class Unauthorized(DomainError):
    pass


class Forbidden(DomainError):
    pass


class PayloadTooLarge(DomainError):
    pass


class UnsupportedMediaType(DomainError):
    pass


class MalformedPayload(DomainError):
    """A provider payload that is not that provider's format."""


class StorageUnavailable(DomainError):
    """The durable store could not take the message: the caller should retry."""


class UpstreamUnavailable(DomainError):
    """A provider's service we must call (SNS certificate, Resend API) did not answer: retry."""
