"""Domain errors of the learning store; ``gateway.xapi.errors`` maps them to HTTP."""


class LearningStoreError(Exception):
    """Base of every error the store raises on purpose."""

    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequestError(LearningStoreError):
    """The request or the statement breaks a rule of the xAPI specification."""

    status_code = 400


class StatementValidationError(BadRequestError):
    """A statement is malformed; the message names the offending property path."""


class ForbiddenError(LearningStoreError):
    """The caller's scopes do not allow the operation."""

    status_code = 403


class NotFoundError(LearningStoreError):
    """The requested statement or document does not exist."""

    status_code = 404


class ConflictError(LearningStoreError):
    """An id was reused with different content, or a document write lacked a precondition."""

    status_code = 409


class PreconditionFailedError(LearningStoreError):
    """An ``If-Match``/``If-None-Match`` precondition does not hold."""

    status_code = 412


class PayloadTooLargeError(LearningStoreError):
    """A body or attachment exceeds the configured limit."""

    status_code = 413
