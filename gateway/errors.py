"""The one exception hierarchy of xgw.

Usage::

    raise AccessDeniedError("client DE/GOV/1/a may not call EE/GOV/2/b/x")
    # -> type "Server.ServerProxy.AccessDenied" when raised on the provider's side

Every error knows its X-Road error type (``origin`` + ``.`` + ``code``) and the
HTTP status X-Road gives it on ``/r1/``: 400 for ``Client.*``, 500 otherwise.
Each interface renders it in its own convention (X-Road REST error JSON,
SOAP Fault, problem+json); none of them ever shows a stack trace.

    GatewayError                      (InternalError)
    ├── ClientError                   (Client.*: the caller sent something wrong)
    │   ├── BadRequestError           (BadRequest)
    │   ├── InvalidClientIdentifierError
    │   ├── MissingHeaderError        (MissingHeaderField)
    │   ├── UnknownServiceError       (UnknownService)
    │   └── InvalidBodyError          (InvalidBody)
    │       └── BodyTooLargeError
    ├── AccessDeniedError             (AccessDenied)
    ├── VerificationError             (a peer or message failed a check)
    │   ├── InvalidSignatureError     (InvalidSignatureValue)
    │   ├── CertValidationError       (CertValidation)
    │   ├── ReplayError               (InvalidMessage: nonce seen before)
    │   ├── StaleMessageError         (InvalidMessage: iat outside window)
    │   ├── InconsistentResponseError (InconsistentResponse)
    │   └── InconsistentTreeHeadError (InconsistentTreeHead: a peer's history was rewritten)
    ├── DirectoryError                (OutdatedGlobalConf: no valid directory)
    ├── ConnectorError                (InvalidMessage: payload fails its schema)
    ├── PartnerError                  (ServiceFailed: the backend or peer failed)
    │   └── NetworkError              (NetworkError)
    ├── AuditError                    (DatabaseError: a record could not be made durable)
    ├── ConfigError                   (a bad setting; CLI only, never on the wire)
    └── AdminError                    (an admin act refused; admin API and CLI, problem+json)
        ├── UnauthorizedError         (401: no admin token, or an expired or forged one)
        ├── ForbiddenError            (403: the token's role may not do this)
        ├── NotFoundError             (404: no such certificate, member, record ...)
        └── ConflictError             (409: it exists already, or the state forbids it)
"""

from __future__ import annotations

import re
import uuid
from typing import ClassVar

__all__ = [
    "CLIENT",
    "CLIENT_PROXY",
    "SERVER_PROXY",
    "AccessDeniedError",
    "AuditError",
    "BadRequestError",
    "BodyTooLargeError",
    "CertValidationError",
    "ClientError",
    "ConfigError",
    "ConnectorError",
    "DirectoryError",
    "GatewayError",
    "InconsistentResponseError",
    "InconsistentTreeHeadError",
    "InvalidBodyError",
    "InvalidClientIdentifierError",
    "InvalidSignatureError",
    "MissingHeaderError",
    "NetworkError",
    "PartnerError",
    "ReplayError",
    "StaleMessageError",
    "UnknownServiceError",
    "VerificationError",
    "parse_error_type",
    "snake_case",
]

CLIENT = "Client"
CLIENT_PROXY = "Server.ClientProxy"
SERVER_PROXY = "Server.ServerProxy"

# X-Road 7.8 renamed a few codes instead of just changing their case
# (checked against ../shared/xroad/derived/xroad-error-codes.json by the tests).
_SNAKE_EXCEPTIONS = {
    "OutdatedGlobalConf": "global_conf_outdated",
    "IOError": "io_error",
    "HashChainUnusedInputs": "hashchain_unused_inputs",
    "TokenReadOnly": "token_readonly",
}
# Reading snake_case back also needs the acronyms that capitalising cannot
# restore, and the nested ``opmonitor`` prefix (Server.ServerProxy.OpMonitor).
_CAMEL_FROM_SNAKE_EXCEPTIONS = {
    **{v: k for k, v in _SNAKE_EXCEPTIONS.items()},
    "hsm_non_operational": "HSMNonOperational",
    "opmonitor": "OpMonitor",
}
_PREFIX_SNAKE = {
    CLIENT: "client",
    CLIENT_PROXY: "server.clientproxy",
    SERVER_PROXY: "server.serverproxy",
}
_PREFIX_CAMEL = {v: k for k, v in _PREFIX_SNAKE.items()}


def snake_case(code: str) -> str:
    """``InvalidSignatureValue`` -> ``invalid_signature_value`` (X-Road 7.8 spelling)."""
    if code in _SNAKE_EXCEPTIONS:
        return _SNAKE_EXCEPTIONS[code]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", code).lower()


def _camel_case(snake: str) -> str:
    if snake in _CAMEL_FROM_SNAKE_EXCEPTIONS:
        return _CAMEL_FROM_SNAKE_EXCEPTIONS[snake]
    return "".join(part.capitalize() for part in snake.split("_"))


def parse_error_type(error_type: str) -> tuple[str, str]:
    """Split an X-Road error type in either spelling into (origin, CamelCase code).

    ``server.serverproxy.network_error`` and ``Server.ServerProxy.NetworkError``
    both give ``("Server.ServerProxy", "NetworkError")``; nested codes keep their
    tail (``Server.ServerProxy.ServiceFailed.SslAuthenticationFailed``).
    """
    for camel, snake in (
        (SERVER_PROXY, _PREFIX_SNAKE[SERVER_PROXY]),
        (CLIENT_PROXY, _PREFIX_SNAKE[CLIENT_PROXY]),
        (CLIENT, _PREFIX_SNAKE[CLIENT]),
    ):
        if error_type.startswith(camel + "."):
            return camel, error_type[len(camel) + 1 :]
        if error_type.startswith(snake + "."):
            tail = error_type[len(snake) + 1 :]
            return camel, _camel_case_dotted(tail)
    # No known prefix (a bare code, or e.g. ``signer.*``): still normalise the
    # snake_case spelling, so both spellings of one type compare equal.
    if error_type == error_type.lower():
        return CLIENT_PROXY, _camel_case_dotted(error_type)
    return CLIENT_PROXY, error_type


def _camel_case_dotted(snake: str) -> str:
    return ".".join(_camel_case(part) for part in snake.split("."))


class GatewayError(Exception):
    """Root of every error xgw raises on purpose."""

    code: ClassVar[str] = "InternalError"
    default_origin: ClassVar[str] = CLIENT_PROXY

    def __init__(
        self,
        message: str,
        *,
        origin: str | None = None,
        code: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.origin = origin or self.default_origin
        if code is not None:
            self.code = code  # type: ignore[misc]
        # The id an operator greps the log for; X-Road puts it in "detail".
        self.detail = detail or str(uuid.uuid4())

    @property
    def type(self) -> str:
        """The X-Road error type in CamelCase, e.g. ``Server.ServerProxy.AccessDenied``."""
        return f"{self.origin}.{self.code}"

    @property
    def snake_type(self) -> str:
        """The X-Road 7.8 spelling, e.g. ``server.serverproxy.access_denied``."""
        parts = self.code.split(".")
        return ".".join(
            [_PREFIX_SNAKE.get(self.origin, self.origin.lower()), *(snake_case(p) for p in parts)]
        )

    @property
    def http_status(self) -> int:
        return 400 if self.origin == CLIENT else 500

    def with_origin(self, origin: str) -> GatewayError:
        """Re-home this error (the same failure seen from the provider's side)."""
        self.origin = origin
        return self

    def diagnostics(self) -> str:
        """Operator-facing text: type, message and the id to find it in the log."""
        return f"{self.type}: {self.message} (id {self.detail})"

    def __str__(self) -> str:
        return self.message


class ClientError(GatewayError):
    """The caller sent something wrong."""

    code = "BadRequest"
    default_origin = CLIENT


class BadRequestError(ClientError):
    code = "BadRequest"


class InvalidClientIdentifierError(ClientError):
    code = "InvalidClientIdentifier"


class MissingHeaderError(ClientError):
    code = "MissingHeaderField"


class UnknownServiceError(ClientError):
    code = "UnknownService"


class InvalidBodyError(ClientError):
    """The request body cannot be read (e.g. a Content-Encoding that does not decode)."""

    code = "InvalidBody"


class BodyTooLargeError(InvalidBodyError):
    code = "InvalidBody"


class AccessDeniedError(GatewayError):
    code = "AccessDenied"


class VerificationError(GatewayError):
    """A peer, certificate or signed message failed a check."""

    code = "SignatureVerification"


class InvalidSignatureError(VerificationError):
    code = "InvalidSignatureValue"


class CertValidationError(VerificationError):
    code = "CertValidation"


class ReplayError(VerificationError):
    code = "InvalidMessage"


class StaleMessageError(VerificationError):
    code = "InvalidMessage"


class InconsistentResponseError(VerificationError):
    code = "InconsistentResponse"


class InconsistentTreeHeadError(VerificationError):
    """The peer's signed tree heads contradict each other: its audit log was rewritten
    (witnessing, docs/audit-log.md). Exchanges with it are refused until an admin clears it."""

    code = "InconsistentTreeHead"


class DirectoryError(GatewayError):
    """No valid directory: expired, badly signed or never loaded."""

    code = "OutdatedGlobalConf"


class ConnectorError(GatewayError):
    code = "InvalidMessage"


class PartnerError(GatewayError):
    """The backend or the peer gateway failed."""

    code = "ServiceFailed"
    default_origin = SERVER_PROXY


class NetworkError(PartnerError):
    code = "NetworkError"


class AuditError(GatewayError):
    code = "DatabaseError"


class ConfigError(GatewayError):
    """A bad setting: names the key and what is wrong with it."""

    code = "MalformedServerConf"

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"config key {key!r}: {problem}")
        self.key = key
        self.problem = problem


class AdminError(GatewayError):
    """An admin act that cannot be done as asked: bad input for a certificate, directory
    or audit operation. The admin API answers ``status`` as problem+json; the CLI prints
    the message and exits 1. Never on the /r1/ wire."""

    code = "InvalidAdminRequest"
    default_origin = CLIENT
    status: ClassVar[int] = 400

    @property
    def http_status(self) -> int:
        return self.status


class NotFoundError(AdminError):
    code = "NotFound"
    status = 404


class ConflictError(AdminError):
    code = "Conflict"
    status = 409


class UnauthorizedError(AdminError):
    code = "Unauthorized"
    status = 401


class ForbiddenError(AdminError):
    code = "Forbidden"
    status = 403
