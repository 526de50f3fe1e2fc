"""Domain errors. The HTTP mapping lives in one table: api/http/errors.py."""


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


class StorageConflict(StorageUnavailable):
    """Another writer stored the same unique key first: the transaction can simply run again."""


class SendFailed(Exception):
    """A mail could not be handed to the SMTP server (not an HTTP error: the outbox retries).

    `permanent`: the server refused it for good (5xx). `unconfirmed`: the whole message was
    handed over but the server's answer never came, so it may have it: never resend.
    `connection_lost`: the connection broke, so the rest of a batch cannot go out on it either.
    """

    def __init__(self, message: str, *, permanent: bool, unconfirmed: bool = False,
                 connection_lost: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.unconfirmed = unconfirmed
        self.connection_lost = connection_lost


class TooManyAttempts(DomainError):
    """Refused for now: too many failed attempts (e.g. admin console sign-ins)."""
