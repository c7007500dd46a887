"""One frozen, typed settings tree for a gateway node, read from TOML; ``XGW_*`` overrides.

Usage::

    settings = Settings.from_toml(Path("de.toml"))          # env overrides applied
    settings.listen.peer                                     # ("127.0.0.1", 8443)
    settings.services[0].backend                             # "http://127.0.0.1:9001/"

Every scalar key ``[section] key`` can be overridden by the environment variable
``XGW_SECTION_KEY`` (``XGW_LISTEN_PEER=127.0.0.1:9443``, ``XGW_DATA_DIR=/var/lib/xgw``).
Relative paths are relative to the config file. Any problem stops with a
``ConfigError`` naming the key and what is wrong; unknown keys are errors too,
so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.errors import ConfigError, GatewayError
from gateway.identifiers import ClientId, ServiceId

__all__ = [
    "AdminSettings",
    "AuditServiceSettings",
    "AuditSettings",
    "ClientSettings",
    "DirectorySettings",
    "HaalCentraalSettings",
    "KeyPairSettings",
    "ListenSettings",
    "OperationsSettings",
    "OperatorSettings",
    "SecuritySettings",
    "ServiceSettings",
    "Settings",
    "StorageSettings",
    "TranslationSettings",
    "WitnessSettings",
]

DEFAULT_REFRESH_INTERVAL = 60.0
DEFAULT_REPLAY_WINDOW = 300.0
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
DEFAULT_BACKEND_TIMEOUT = 30.0
DEFAULT_PEER_TIMEOUT = 60.0
DEFAULT_CONNECT_TIMEOUT = 5.0

Address = tuple[str, int]


@dataclass(frozen=True)
class MemberSettings:
    id: str
    name: str = ""


@dataclass(frozen=True)
class ListenSettings:
    peer: Address  # TLS, client certificates required: peer gateways
    client: Address  # local client systems (TLS or plain loopback)
    client_tls: bool = True


@dataclass(frozen=True)
class KeyPairSettings:
    certificate: Path
    key: Path
    passphrase_file: Path | None = None  # the key is encrypted with the passphrase in this file


@dataclass(frozen=True)
class DirectorySettings:
    source: str  # a file path or an http(s) URL
    trust_anchor: Path  # the federation operator's certificate
    refresh_interval: float = DEFAULT_REFRESH_INTERVAL


@dataclass(frozen=True)
class SecuritySettings:
    replay_window: float = DEFAULT_REPLAY_WINDOW  # seconds either side of now
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES  # a request's body
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES  # an answer's, from a backend or peer
    client_ca: Path | None = None  # issues local client certificates
    allow_plain_loopback: bool = False  # plain HTTP clients from 127.0.0.1 (dev)
    trusted_proxies: tuple[str, ...] = ()  # TLS terminators (cert SHA-256 hex)

    def __post_init__(self) -> None:
        object.__setattr__(self, "trusted_proxies", _fingerprints(self.trusted_proxies))


@dataclass(frozen=True)
class TimeoutSettings:
    connect: float = DEFAULT_CONNECT_TIMEOUT
    backend: float = DEFAULT_BACKEND_TIMEOUT
    peer: float = DEFAULT_PEER_TIMEOUT


@dataclass(frozen=True)
class XRoadSettings:
    error_spelling: str = "CamelCase"  # or "snake_case" (X-Road 7.8)


@dataclass(frozen=True)
class TranslationSettings:
    # The operator's official schema sets (XRepository, partners); unset: xgw's own schemas.
    schema_dir: Path | None = None
    # Accept partners' published test identifiers that fail their own checksums.
    lenient_identifiers: bool = False


@dataclass(frozen=True)
class ClientSettings:
    """A local client system, the subsystem its certificate is bound to, the format it speaks."""

    subsystem: str
    certificate: Path | None = None
    format: str = "opaque"  # a connector name: the client's requests are decoded from it
    # SHA-256 (hex) of a bearer token that authenticates this subsystem at a front door
    # that takes tokens (the Haal Centraal one); the token itself is never stored.
    token_sha256: str | None = None

    def __post_init__(self) -> None:
        if self.token_sha256 is not None:
            object.__setattr__(self, "token_sha256", _fingerprints((self.token_sha256,))[0])


@dataclass(frozen=True)
class ServiceSettings:
    """A service this member provides, and where its backend listens."""

    subsystem: str
    code: str
    backend: str
    openapi: Path | None = None
    wsdl: Path | None = None  # a SOAP service's WSDL, served by getWsdl and /wsdl
    # A connector name: canonical requests are encoded to it. Unset: the format the
    # directory names for the service (opaque unless the operator published one).
    format: str | None = None
    # Its message bodies in the audit log: kept this many days; or never (digests only).
    # Unset: [audit] body_retention_days and metadata_only (docs/audit-log.md, "Bodies").
    body_retention_days: float | None = None
    metadata_only: bool | None = None


@dataclass(frozen=True)
class HaalCentraalSettings:
    """The Haal Centraal BRP Personen front door; off by default."""

    enabled: bool = False
    service: str = ""  # the X-Road service it calls, e.g. DE/GOV/05974028/meldewesen/personen
    path: str = "/personen"  # the path on that service
    purpose: str = ""  # why the data is requested (XMeld anlassDesAbrufs); a BRP client never says
    search_area: tuple[str, ...] = ()  # where to search (Destatis keys: 2, 5, 8 or 12 digits)
    requester: str = ""  # the requesting authority's name; unset: its member's directory name
    require_token: bool = False  # a bearer token on every call, also with a client certificate


DEFAULT_TREE_HEAD_INTERVAL = 60.0
DEFAULT_BODY_RETENTION_DAYS = 30.0
DEFAULT_MAX_LOGGED_BODY_BYTES = 1024 * 1024
DEFAULT_BODY_PURGE_INTERVAL = 3600.0


@dataclass(frozen=True)
class AuditServiceSettings:
    """``[[audit.services]]``: how long the audit log keeps the bodies of a service,
    a subsystem's services or a member's, this member's or another's (the caller's side)."""

    service: str  # a service id, or a subsystem or member id for all of its services
    body_retention_days: float | None = None  # unset: the next less specific rule's
    metadata_only: bool | None = None


@dataclass(frozen=True)
class AuditSettings:
    """The audit log (docs/audit-log.md)."""

    # Seconds between signed tree heads; one is signed only when the log has grown.
    tree_head_interval: float = DEFAULT_TREE_HEAD_INTERVAL
    # Message bodies ("Bodies"): sealed with the first key, opened with any. Unset: one
    # key the gateway creates in the data directory (data_dir/audit-body.key).
    body_keys: tuple[Path, ...] = ()
    body_retention_days: float = DEFAULT_BODY_RETENTION_DAYS  # every service's, unless set
    metadata_only: bool = False  # true: no service's bodies, unless a rule keeps them
    max_body_bytes: int = DEFAULT_MAX_LOGGED_BODY_BYTES  # larger: the digest only, and a marker
    body_purge_interval: float = DEFAULT_BODY_PURGE_INTERVAL  # seconds between purges
    services: tuple[AuditServiceSettings, ...] = ()  # per-service rules ([[audit.services]])

    def __post_init__(self) -> None:
        if not 0 < self.tree_head_interval < float("inf"):
            raise ConfigError(
                "audit.tree_head_interval",
                f"must be a number of seconds greater than 0, not {self.tree_head_interval}",
            )


DEFAULT_WITNESS_REFRESH_INTERVAL = 10.0
WITNESS_ACTIONS = ("refuse", "report")


@dataclass(frozen=True)
class WitnessSettings:
    """Witnessing the peers' audit logs (docs/audit-log.md, "Witnessing")."""

    # A peer whose signed tree heads contradict each other: "refuse" every exchange with
    # it, both ways, until an administrator clears it; or "report" it (log and evidence).
    on_inconsistency: str = "refuse"
    # Seconds between re-reading the witness store (what `xgw witness clear` changed),
    # refreshing the tree head this gateway sends, and retrying unanswered proof requests.
    refresh_interval: float = DEFAULT_WITNESS_REFRESH_INTERVAL

    def __post_init__(self) -> None:
        if self.on_inconsistency not in WITNESS_ACTIONS:
            raise ConfigError(
                "witness.on_inconsistency",
                f"must be 'refuse' or 'report', not {self.on_inconsistency!r}",
            )
        if not 0 < self.refresh_interval < float("inf"):
            raise ConfigError(
                "witness.refresh_interval",
                f"must be a number of seconds greater than 0, not {self.refresh_interval}",
            )


DEFAULT_TOKEN_TTL = 3600.0
DEFAULT_MAX_TOKEN_TTL = 7 * 24 * 3600.0


@dataclass(frozen=True)
class AdminSettings:
    """The admin API's own listener (docs/admin-api.md); none unless ``listen`` is set."""

    listen: Address | None = None  # e.g. 127.0.0.1:8444; loopback unless tls = true
    tls: bool = False  # serve it with the node's TLS certificate (needed off loopback)
    token_key: Path | None = None  # HS256 secret for admin tokens; default DATA_DIR/admin-token.key
    token_ttl: float = DEFAULT_TOKEN_TTL  # seconds an `xgw admin token` lives by default
    max_token_ttl: float = DEFAULT_MAX_TOKEN_TTL  # tokens living longer are refused
    revoked_tokens: Path | None = None  # default: admin-revoked-tokens.json beside token_key


@dataclass(frozen=True)
class OperatorSettings:
    """The federation operator's side on this node's admin API (docs/federation-admin.md):
    none unless ``draft`` is set."""

    draft: Path | None = None  # the unsigned directory the operator edits
    key: Path | None = None  # the operator's signing key
    certificate: Path | None = None  # and certificate (every gateway's trust anchor)
    passphrase_file: Path | None = None
    publish: Path | None = None  # where the signed publication goes (what gateways fetch)
    valid_hours: float = 24.0


STORAGE_ENGINES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class StorageSettings:
    """Where the audit log, replay cache, directory cache and certificate inventory live
    (docs/storage.md): SQLite files in the data directory, or one PostgreSQL database that
    several nodes of one member share."""

    engine: str = "sqlite"
    dsn: str = ""  # postgresql://user@host:5432/db (engine = "postgresql"); XGW_STORAGE_DSN

    def __post_init__(self) -> None:
        if self.engine not in STORAGE_ENGINES:
            raise ConfigError(
                "storage.engine", f"must be 'sqlite' or 'postgresql', not {self.engine!r}"
            )
        if self.engine == "postgresql" and not self.dsn.startswith(
            ("postgresql://", "postgres://")
        ):
            raise ConfigError(
                "storage.dsn", "must be a postgresql:// URL when storage.engine = 'postgresql'"
            )


DEFAULT_EXPIRY_WARNING_DAYS = 30.0
DEFAULT_EXPIRY_CHECK_INTERVAL = 24 * 3600.0


@dataclass(frozen=True)
class OperationsSettings:
    """Expiry warnings for certificates and the directory (docs/operations.md)."""

    expiry_warning_days: float = DEFAULT_EXPIRY_WARNING_DAYS  # "near its end" from here on
    expiry_check_interval: float = DEFAULT_EXPIRY_CHECK_INTERVAL  # one warning line per day


@dataclass(frozen=True)
class Settings:
    member: MemberSettings
    listen: ListenSettings
    tls: KeyPairSettings
    signing: KeyPairSettings
    directory: DirectorySettings
    data_dir: Path
    security: SecuritySettings = field(default_factory=SecuritySettings)
    timeouts: TimeoutSettings = field(default_factory=TimeoutSettings)
    xroad: XRoadSettings = field(default_factory=XRoadSettings)
    translation: TranslationSettings = field(default_factory=TranslationSettings)
    haalcentraal: HaalCentraalSettings = field(default_factory=HaalCentraalSettings)
    audit: AuditSettings = field(default_factory=AuditSettings)
    witness: WitnessSettings = field(default_factory=WitnessSettings)
    admin: AdminSettings = field(default_factory=AdminSettings)
    operations: OperationsSettings = field(default_factory=OperationsSettings)
    operator: OperatorSettings = field(default_factory=OperatorSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    clients: tuple[ClientSettings, ...] = ()
    services: tuple[ServiceSettings, ...] = ()

    @property
    def member_id(self) -> ClientId:
        return ClientId.parse(self.member.id)

    @classmethod
    def from_toml(cls, path: Path, env: Mapping[str, str] | None = None) -> Settings:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError("--config", f"file {path} does not exist") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError("--config", f"{path} is not valid TOML: {exc}") from exc
        return cls.from_mapping(
            raw, base_dir=path.resolve().parent, env=os.environ if env is None else env
        )

    @classmethod
    def from_mapping(
        cls, raw: Mapping[str, Any], *, base_dir: Path, env: Mapping[str, str]
    ) -> Settings:
        loader = _Loader(base_dir, env)
        data = dict(raw)
        data_section = data.pop("data", {})
        if not isinstance(data_section, dict):
            raise ConfigError("data", "must be a table")
        from_env = "XGW_DATA_DIR" in env
        raw_dir = env["XGW_DATA_DIR"] if from_env else data_section.get("dir")
        data_dir = loader.value("data.dir", raw_dir, Path, from_env=from_env)
        if data_dir is None:
            raise ConfigError("data.dir", "is required")
        _reject_unknown("data", data_section, {"dir"})
        sections: dict[str, Any] = {"data_dir": data_dir}
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if f.name == "data_dir":
                continue
            value = data.pop(f.name, None)
            if f.name in ("clients", "services"):
                item_type = typing.get_args(hints[f.name])[0]
                sections[f.name] = loader.table_array(f.name, value, item_type)
            else:
                sections[f.name] = loader.section(
                    f.name, value, hints[f.name], required=f.default_factory is dataclasses.MISSING
                )
        if data:
            raise ConfigError(next(iter(data)), "unknown section or key")
        source = sections["directory"].source
        if not _URL.match(source) and not Path(source).expanduser().is_absolute():
            # A file path, relative to the config file like every other path.
            sections["directory"] = dataclasses.replace(
                sections["directory"], source=str(base_dir / Path(source).expanduser())
            )
        settings = cls(**sections)
        _check_consistency(settings)
        return settings


def _reject_unknown(section: str, table: Mapping[str, Any], known: set[str]) -> None:
    for key in table:
        if key not in known:
            raise ConfigError(f"{section}.{key}", "unknown key")


class _Loader:
    """Turns TOML tables into the frozen dataclasses, applying ``XGW_*`` overrides."""

    def __init__(self, base_dir: Path, env: Mapping[str, str]) -> None:
        self.base_dir = base_dir
        self.env = env

    def section(self, name: str, table: Any, cls: type[Any], *, required: bool) -> Any:
        if table is None:
            table = {}
            if required and not self._env_has_section(name):
                raise ConfigError(name, "section is required")
        if not isinstance(table, dict):
            raise ConfigError(name, "must be a table")
        return self._build(name, table, cls, use_env=True)

    def table_array(self, name: str, value: Any, cls: type[Any]) -> tuple[Any, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise ConfigError(name, f"must be an array of tables ([[{name}]])")
        items = []
        for index, table in enumerate(value):
            if not isinstance(table, dict):
                raise ConfigError(f"{name}[{index}]", "must be a table")
            items.append(self._build(f"{name}[{index}]", table, cls, use_env=False))
        return tuple(items)

    def _env_has_section(self, name: str) -> bool:
        prefix = f"XGW_{name.upper()}_"
        return any(key.startswith(prefix) for key in self.env)

    def _build(self, name: str, table: dict[str, Any], cls: type[Any], *, use_env: bool) -> Any:
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        _reject_unknown(name, table, set(fields))
        kwargs: dict[str, Any] = {}
        for key, f in fields.items():
            dotted = f"{name}.{key}"
            raw = table.get(key)
            env_key = f"XGW_{name.upper()}_{key.upper()}"
            from_env = use_env and env_key in self.env
            if from_env:
                raw = self.env[env_key]
            value = self.value(dotted, raw, hints[key], from_env=from_env)
            if value is None:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise ConfigError(dotted, "is required")
                continue
            kwargs[key] = value
        return cls(**kwargs)

    def value(self, key: str, raw: Any, target: Any, *, from_env: bool = False) -> Any:
        """Coerce one TOML or environment value to the field's type."""
        if raw is None:
            return None
        target = _strip_optional(target)
        try:
            if target is Path:
                return self._path(key, raw)
            if target is bool:
                return _bool(raw)
            if target is int:
                return _number(raw, int)
            if target is float:
                return _number(raw, float)
            if target is str:
                if not isinstance(raw, str):
                    raise TypeError("must be a string")
                return raw
            if target == Address:
                return _address(raw)
            if target == tuple[str, ...]:
                return _str_tuple(raw, from_env)
            if target == tuple[Path, ...]:
                return tuple(self._path(key, item) for item in _str_tuple(raw, from_env))
            if typing.get_origin(target) is tuple and dataclasses.is_dataclass(
                item_type := typing.get_args(target)[0]
            ):  # a nested array of tables: [[section.key]]
                if from_env:
                    raise ConfigError(key, "cannot be set from the environment")
                return self.table_array(key, raw, typing.cast(type[Any], item_type))
        except (TypeError, ValueError) as exc:
            raise ConfigError(key, str(exc)) from exc
        raise ConfigError(key, f"unsupported setting type {target}")  # a bug, not user input

    def _path(self, key: str, raw: Any) -> Path:
        if not isinstance(raw, str) or not raw:
            raise ConfigError(key, "must be a non-empty path string")
        path = Path(raw).expanduser()
        return path if path.is_absolute() else self.base_dir / path


def _strip_optional(target: Any) -> Any:
    if isinstance(target, types.UnionType) or typing.get_origin(target) is typing.Union:
        args = [a for a in typing.get_args(target) if a is not type(None)]
        return args[0]
    return target


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in (
        "1",
        "true",
        "yes",
        "on",
        "0",
        "false",
        "no",
        "off",
    ):
        return raw.lower() in ("1", "true", "yes", "on")
    raise ValueError(f"must be true or false, not {raw!r}")


def _number(raw: Any, kind: type[int] | type[float]) -> int | float:
    if isinstance(raw, bool):
        raise ValueError(f"must be a number, not {raw!r}")
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        raise ValueError(f"must be a number, not {raw!r}") from None
    if value < 0:
        raise ValueError(f"must not be negative, not {raw!r}")
    return value


def _address(raw: Any) -> Address:
    if not isinstance(raw, str) or ":" not in raw:
        raise ValueError(f"must be 'HOST:PORT', not {raw!r}")
    host, _, port_text = raw.rpartition(":")
    host = host.strip("[]")
    if not host or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"must be 'HOST:PORT' with a port 0-65535, not {raw!r}")
    return host, int(port_text)


_SHA256_HEX = re.compile("[0-9a-f]{64}")


def _fingerprints(values: tuple[str, ...]) -> tuple[str, ...]:
    """``AB:CD:...`` as openssl prints it, or plain hex: both become lower-case hex."""
    return tuple(value.replace(":", "").strip().lower() for value in values)


def _str_tuple(raw: Any, from_env: bool) -> tuple[str, ...]:
    if from_env and isinstance(raw, str):
        return tuple(item.strip() for item in raw.split(",") if item.strip())
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise ValueError("must be a list of strings")
    return tuple(raw)


def _check_consistency(settings: Settings) -> None:
    member = ClientId.parse(settings.member.id) if _valid_id(settings.member.id) else None
    if member is None or member.subsystem is not None:
        raise ConfigError(
            "member.id",
            f"must be a member identifier INSTANCE/CLASS/CODE, not {settings.member.id!r}",
        )
    for index, client in enumerate(settings.clients):
        if not _valid_id(client.subsystem) or ClientId.parse(client.subsystem).subsystem is None:
            raise ConfigError(
                f"clients[{index}].subsystem",
                f"must be INSTANCE/CLASS/CODE/SUBSYSTEM, not {client.subsystem!r}",
            )
        if ClientId.parse(client.subsystem).member != member:
            raise ConfigError(
                f"clients[{index}].subsystem", f"{client.subsystem} is not a subsystem of {member}"
            )
        if client.certificate is None and not settings.security.allow_plain_loopback:
            raise ConfigError(
                f"clients[{index}].certificate",
                "is required unless security.allow_plain_loopback = true",
            )
    _check_tokens(settings.clients)
    _check_haalcentraal(settings.haalcentraal)
    _check_audit_bodies(settings)
    for index, service in enumerate(settings.services):
        if not service.backend.startswith(("http://", "https://")):
            raise ConfigError(
                f"services[{index}].backend",
                f"must be an http:// or https:// URL, not {service.backend!r}",
            )
    for key, value in (
        ("directory.refresh_interval", settings.directory.refresh_interval),
        ("security.replay_window", settings.security.replay_window),
        ("security.max_body_bytes", settings.security.max_body_bytes),
    ):
        if value <= 0:
            raise ConfigError(key, f"must be greater than 0, not {value}")
    for index, fp in enumerate(settings.security.trusted_proxies):
        if not _SHA256_HEX.fullmatch(fp):
            raise ConfigError(
                f"security.trusted_proxies[{index}]",
                f"must be a certificate's SHA-256 in hex, not {fp!r}",
            )
    if settings.xroad.error_spelling not in ("CamelCase", "snake_case"):
        raise ConfigError("xroad.error_spelling", "must be 'CamelCase' or 'snake_case'")
    if settings.listen.client_tls and settings.security.client_ca is None:
        raise ConfigError(
            "security.client_ca",
            "is required when listen.client_tls = true (it issues client certificates)",
        )
    if not settings.listen.client_tls and not settings.security.allow_plain_loopback:
        raise ConfigError(
            "listen.client_tls",
            "plain HTTP on the client port needs security.allow_plain_loopback = true",
        )
    if not settings.listen.client_tls and settings.listen.client[0] not in _LOOPBACK:
        raise ConfigError("listen.client", "plain HTTP may only listen on a loopback address")
    _check_admin(settings.admin, settings.operations)
    _check_operator(settings.operator)


def _check_operator(operator: OperatorSettings) -> None:
    if operator.draft is None:
        return
    for key in ("key", "certificate", "publish"):
        if getattr(operator, key) is None:
            raise ConfigError(f"operator.{key}", "is required when operator.draft is set")
    if not 0 < operator.valid_hours <= 168:  # a directory is the revocation channel
        raise ConfigError(
            "operator.valid_hours",
            f"must be more than 0 and at most 168 hours, not {operator.valid_hours}",
        )


def _check_admin(admin: AdminSettings, operations: OperationsSettings) -> None:
    if admin.listen is not None and not admin.tls and admin.listen[0] not in _LOOPBACK:
        raise ConfigError(
            "admin.listen", "the admin API listens on a loopback address unless admin.tls = true"
        )
    for key, value in (
        ("admin.token_ttl", admin.token_ttl),
        ("admin.max_token_ttl", admin.max_token_ttl),
        ("operations.expiry_warning_days", operations.expiry_warning_days),
        ("operations.expiry_check_interval", operations.expiry_check_interval),
    ):
        if not 0 < value < float("inf"):
            raise ConfigError(key, f"must be a number greater than 0, not {value}")
    if admin.token_ttl > admin.max_token_ttl:
        raise ConfigError("admin.token_ttl", "must not be longer than admin.max_token_ttl")


_LOOPBACK = ("127.0.0.1", "::1", "localhost")
_URL = re.compile(r"^https?://", re.IGNORECASE)
_REGION_KEY = re.compile("[0-9]{2}|[0-9]{5}|[0-9]{8}|[0-9]{12}")


def _check_tokens(clients: tuple[ClientSettings, ...]) -> None:
    seen: set[str] = set()
    for index, client in enumerate(clients):
        token = client.token_sha256
        if token is None:
            continue
        if not _SHA256_HEX.fullmatch(token):
            raise ConfigError(
                f"clients[{index}].token_sha256",
                "must be the token's SHA-256 in hex (64 digits), never the token itself",
            )
        if token in seen:
            raise ConfigError(
                f"clients[{index}].token_sha256", "the same token hash is given twice"
            )
        seen.add(token)


def _check_haalcentraal(hc: HaalCentraalSettings) -> None:
    if not hc.enabled:
        return
    try:
        ServiceId.parse(hc.service)
    except GatewayError:
        raise ConfigError(
            "haalcentraal.service",
            f"must be a service INSTANCE/CLASS/CODE/SUBSYSTEM/SERVICE, not {hc.service!r}",
        ) from None
    if not hc.path.startswith("/") or any(c in hc.path for c in "?#") or " " in hc.path:
        raise ConfigError("haalcentraal.path", f"must be a path starting with '/', not {hc.path!r}")
    if not hc.purpose.strip():
        raise ConfigError(
            "haalcentraal.purpose",
            "is required: a BRP client never says why it asks, and the register needs it",
        )
    for index, key in enumerate(hc.search_area):
        if not _REGION_KEY.fullmatch(key):
            raise ConfigError(
                f"haalcentraal.search_area[{index}]",
                f"must be a Destatis region key of 2, 5, 8 or 12 digits, not {key!r}",
            )
    if hc.requester and not hc.requester.strip():
        raise ConfigError("haalcentraal.requester", "must not be blank")


def _check_audit_bodies(settings: Settings) -> None:
    audit = settings.audit
    positive: list[tuple[str, float | None]] = [
        ("audit.body_retention_days", audit.body_retention_days),
        ("audit.body_purge_interval", audit.body_purge_interval),
    ]
    named: dict[str, str] = {}  # service, subsystem or member id -> the rule that names it
    for index, rule in enumerate(audit.services):
        key = f"audit.services[{index}]"
        if not _valid_id(rule.service) and not _valid_service(rule.service):
            raise ConfigError(
                f"{key}.service", f"must be a service, subsystem or member id, not {rule.service!r}"
            )
        if rule.service in named:
            raise ConfigError(
                f"{key}.service", f"{rule.service} has a rule in {named[rule.service]}"
            )
        named[rule.service] = key
        positive.append((f"{key}.body_retention_days", rule.body_retention_days))
    for index, service in enumerate(settings.services):
        key = f"services[{index}]"
        positive.append((f"{key}.body_retention_days", service.body_retention_days))
        service_id = f"{settings.member.id}/{service.subsystem}/{service.code}"
        has_rule = service.body_retention_days is not None or service.metadata_only is not None
        if has_rule and service_id in named:
            raise ConfigError(
                key,
                f"{service_id} has a body rule in {named[service_id]} too; give it in one place",
            )
    for key, value in positive:
        if value is not None and not 0 < value < float("inf"):
            raise ConfigError(key, f"must be a number greater than 0, not {value}")


def _valid_service(text: str) -> bool:
    try:
        ServiceId.parse(text)
    except GatewayError:
        return False
    return True


def _valid_id(text: str) -> bool:
    try:
        ClientId.parse(text)
    except GatewayError:
        return False
    return True
