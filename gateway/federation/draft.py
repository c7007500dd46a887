"""The federation operator's working state: the unsigned directory, edited one change at a time.

Usage::

    with edit_draft(Path("operator/draft.json")) as draft:   # as `xgw directory create` wrote it
        change = draft.grant("DE/GOV/05974028/gewerbeamt", "NL/GOV/00000001/brp/personen")
    # saved on leaving the block (not after an exception); one editor at a time

    draft = Draft.load(Path("operator/draft.json"))     # or: load, edit, save yourself
    draft.add_member("NL/GOV/00000001", "Gemeente Voorbeeld",
                     gateway_url="https://gw.voorbeeld.example:8443",
                     tls_certificates=[tls_pem], signing_certificates=[signing_pem])
    draft.add_subsystem("NL/GOV/00000001", "brp", "BRP")
    draft.add_service("NL/GOV/00000001", "brp", "personen", "REST",
                      endpoints=[("GET", "/personen/*")])
    draft.grant("DE/GOV/05974028/gewerbeamt", "NL/GOV/00000001/brp/personen")
    change = draft.revoke(old_cert, "superseded")       # Change: what happened, for people
    draft.save()         # atomic; ConflictError if the file changed since it was loaded

``edit_draft`` holds an exclusive lock on ``draft.json.lock`` beside the draft from
loading to saving, across threads (the admin API) and processes (the CLI), so
concurrent edits queue instead of overwriting each other. ``save`` takes the same lock
for its check and write, so loading and saving without ``edit_draft`` can fail with
ConflictError but never loses another editor's change.

Every operation edits a copy, checks it as a gateway would load it (the schema and
cross-references of ``Directory.from_json``, and ``build_directory``'s rule that a
member's certificates come from a listed CA) and only then makes it the draft. A
refused operation raises AdminError, NotFoundError or ConflictError and changes nothing.
``publish`` (gateway.federation.publish) signs the draft into a publication.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from gateway._crypto import certificate_to_pem, fingerprint
from gateway.directory import Directory
from gateway.directory_cli import build_directory
from gateway.errors import AdminError, ConfigError, ConflictError, DirectoryError, NotFoundError
from gateway.federation._access import (
    access_right,
    drop_access,
    listing,
    replace_access,
    service_endpoints,
)
from gateway.federation._checks import (
    MAX_CERTIFICATES,
    certificate_key,
    check_member_shape,
    check_new_certificate,
    is_ca,
    issued_certificates,
    listed_by,
    serial_of,
)
from gateway.federation._document import (
    CERTIFICATE_KEYS,
    CertificateInput,
    access_rights,
    as_certificate,
    certificate_json,
    endpoint_entries,
    find_member,
    find_service,
    member_id,
    member_of,
    normalise_fingerprint,
    parse_endpoint,
    revocation_reasons,
    service_id,
    subsystem_id,
)
from gateway.federation.changes import AccessRight, Change, Endpoint
from gateway.files import exclusive_lock, write_atomic
from gateway.identifiers import ClientId, ServiceId

__all__ = ["LOCK_TIMEOUT", "MAX_CERTIFICATES", "Draft", "check_document", "edit_draft", "lock_file"]

LOCK_TIMEOUT = 10.0  # seconds to wait for another editor of the draft before giving up

_SPEC_KEYS = ("instance", "cas", "members", "access", "revoked")

EndpointInput = str | Endpoint


def check_document(doc: dict[str, Any]) -> None:
    """AdminError unless every gateway would load ``doc`` and every member's certificate
    chains to a listed CA: the checks of ``Directory.from_json`` and ``build_directory``."""
    try:
        Directory.from_json(doc)
        spec = {key: doc[key] for key in _SPEC_KEYS if key in doc}
        build_directory(spec, Path(), valid_hours=1.0, sequence=doc["sequence"])
    except DirectoryError as exc:
        raise AdminError(f"gateways would refuse the directory: {exc.message}") from exc
    except ConfigError as exc:
        raise AdminError(f"gateways would refuse the directory: {exc.problem}") from exc


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def lock_file(path: Path) -> Path:
    """The lock beside the draft at ``path``: ``draft.json`` -> ``draft.json.lock``."""
    return path.with_name(path.name + ".lock")


@contextlib.contextmanager
def edit_draft(path: Path, *, timeout: float = LOCK_TIMEOUT) -> Iterator[Draft]:
    """The draft at ``path``, loaded and held under its lock; saved on a clean exit when
    it changed, never after an exception (a refused change leaves the file alone).

    ConflictError when another editor holds the lock for more than ``timeout`` seconds;
    ConfigError when the draft is missing or invalid.
    """
    if not path.is_file():
        Draft.load(path)  # raises the error that names 'xgw directory create'
    with _draft_lock(path, timeout):
        draft = Draft.load(path)
        draft._lock_held = True
        try:
            yield draft
            if draft._unsaved:
                draft.save()
        finally:
            draft._lock_held = False


@contextlib.contextmanager
def _draft_lock(path: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    lock = lock_file(path)
    with contextlib.ExitStack() as stack:
        try:
            busy = (
                f"{lock.name} is held by another edit for more than {timeout:g} s; "
                "try again once it is done"
            )
            stack.enter_context(exclusive_lock(lock, timeout=timeout, busy=busy))
        except OSError as exc:
            raise ConfigError("draft", f"cannot lock {lock}: {exc.strerror or exc}") from exc
        yield


class Draft:
    """The unsigned directory document the operator edits; see the module docstring.

    One object is for one thread: concurrent editors each load their own (``edit_draft``).
    """

    def __init__(self, document: dict[str, Any], path: Path | None = None) -> None:
        check_document(document)
        self._doc = copy.deepcopy(document)
        self.path = path
        self._saved_digest: str | None = None  # of the file as loaded or last saved
        self._unsaved = False  # changed since loaded or last saved
        self._lock_held = False  # inside edit_draft or locked(): no second flock (it would wait)

    # ------------------------------------------------------------------ files

    @classmethod
    def load(cls, path: Path) -> Draft:
        """The draft at ``path``; ConfigError when it is missing, unreadable or invalid."""
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise ConfigError(
                "draft", f"file {path} does not exist (start one with 'xgw directory create')"
            ) from exc
        except OSError as exc:
            raise ConfigError("draft", f"cannot read {path}: {exc.strerror or exc}") from exc
        doc = _parse_json(path, data)
        try:
            draft = cls(doc, path)
        except AdminError as exc:
            raise ConfigError("draft", f"{path}: {exc.message}") from exc
        draft._saved_digest = _digest(data)
        return draft

    def save(self, path: Path | None = None) -> Path:
        """Write the draft atomically to ``path`` (default: where it was loaded from),
        holding the draft's lock (see ``locked``) for the check and the write.

        ConflictError when the file changed since this draft was loaded or saved:
        another operator's change would otherwise be lost silently.
        """
        target = path or self.path
        if target is None:
            raise AdminError("the draft has no file yet: name one to save it to")
        same_file = target == self.path
        if not same_file:
            target.parent.mkdir(parents=True, exist_ok=True)  # for the lock file too
        with self.locked() if same_file else _draft_lock(target):
            if same_file and self._saved_digest is not None:
                self._check_unchanged(target)  # the second line of defence, under the lock
            data = orjson.dumps(self._doc, option=orjson.OPT_INDENT_2) + b"\n"
            write_atomic(target, data)
        self.path, self._saved_digest, self._unsaved = target, _digest(data), False
        return target

    @contextlib.contextmanager
    def locked(self, *, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
        """Hold the draft file's lock (already held inside ``edit_draft``: a no-op), then
        ConflictError if the file changed since this Draft read it. Nothing to lock for
        a draft without a file. ``publish`` signs and writes under it."""
        if self.path is None or self._lock_held:
            yield
            return
        with _draft_lock(self.path, timeout):
            self._lock_held = True
            try:
                if self._saved_digest is not None:
                    self._check_unchanged(self.path)
                yield
            finally:
                self._lock_held = False

    def _check_unchanged(self, path: Path) -> None:
        try:
            current = _digest(path.read_bytes())
        except OSError:
            current = None
        if current != self._saved_digest:
            raise ConflictError(
                f"the draft {path} changed since it was loaded; load it again and repeat the change"
            )

    # ------------------------------------------------------------------ reading

    @property
    def document(self) -> dict[str, Any]:
        """A copy of the unsigned document (change it through the operations only)."""
        return copy.deepcopy(self._doc)

    @property
    def instance(self) -> str:
        return str(self._doc["instance"])

    @property
    def sequence(self) -> int:
        return int(self._doc["sequence"])

    def record_publication(self, sequence: int, issued: str, expires: str) -> tuple[str, ...]:
        """Remember what a publication got and save that (a draft with a file).

        The publication is live already, so a failed save is returned as a warning, not
        raised: nothing would undo the publication. The draft then counts as saved (its
        file keeps the sequence it had); the next publication still goes higher, as
        ``publish`` also counts the history.
        """
        self._doc.update(sequence=sequence, issued=issued, expires=expires)
        self._unsaved = True
        if self.path is None:
            return ()
        try:
            self.save()
        except (ConflictError, OSError) as exc:
            self._unsaved = False  # edit_draft must not retry and fail after the publication
            return (
                f"sequence {sequence} is published, but the draft {self.path.name} was not "
                f"saved ({_save_failure(exc)}): its file keeps the previous sequence and lacks "
                "any edit not saved before; the next publication goes higher all the same",
            )
        return ()

    def to_json(self) -> dict[str, Any]:
        """The whole draft summarised: members in full, certificates by fingerprint.
        ``path`` is the draft's file on this machine; ``public_json`` names the file only."""
        revoked = self._revoked_serials()
        return {
            "path": None if self.path is None else str(self.path),
            "instance": self.instance,
            "sequence": self.sequence,
            "issued": self._doc["issued"],
            "expires": self._doc["expires"],
            "cas": [
                certificate_json(cert, cert.serial_number in revoked)
                for cert in map(as_certificate, self._doc["cas"])
            ],
            "members": [self._member_json(entry, revoked) for entry in self._doc["members"]],
            "access": [right.to_json() for right in access_rights(self._doc)],
            "revoked": [
                {"serial": entry["serial"].lower(), "reason": entry.get("reason", "unspecified")}
                for entry in self._doc.get("revoked", [])
            ],
        }

    def public_json(self) -> dict[str, Any]:
        """``to_json`` with the draft's file name instead of its path: for the admin API,
        whose callers need not learn the server's directory layout."""
        return {**self.to_json(), "path": None if self.path is None else self.path.name}

    def member_json(self, member: str | ClientId) -> dict[str, Any]:
        """One member: kind, URL, certificates, subsystems, services and its access rights."""
        entry = find_member(self._doc, member_id(member))
        return self._member_json(entry, self._revoked_serials())

    def _member_json(self, entry: Mapping[str, Any], revoked: set[int]) -> dict[str, Any]:
        prefix = entry["id"] + "/"
        rights = access_rights(self._doc)
        return {
            "id": entry["id"],
            "name": entry["name"],
            "kind": "partner" if "partner" in entry else "gateway",
            "gateway_url": entry.get("gateway_url"),
            "partner": entry.get("partner"),
            **{
                key: [
                    certificate_json(cert, cert.serial_number in revoked)
                    for cert in map(as_certificate, entry.get(key, []))
                ]
                for key in CERTIFICATE_KEYS.values()
            },
            "subsystems": entry.get("subsystems", []),
            "services": [_service_json(entry["id"], s) for s in entry.get("services", [])],
            "access_as_client": [r.to_json() for r in rights if r.client.startswith(prefix)],
            "access_to_services": [r.to_json() for r in rights if r.service.startswith(prefix)],
        }

    def _revoked_serials(self) -> set[int]:
        return {int(entry["serial"], 16) for entry in self._doc.get("revoked", [])}

    # ------------------------------------------------------------------ editing

    def _commit(self, doc: dict[str, Any], change: Change) -> Change:
        check_document(doc)
        self._doc, self._unsaved = doc, True
        return change

    def _working_copy(self) -> dict[str, Any]:
        return copy.deepcopy(self._doc)

    # ------------------------------------------------------------------ members

    def add_member(
        self,
        member: str | ClientId,
        name: str,
        *,
        gateway_url: str | None = None,
        tls_certificates: Sequence[CertificateInput] = (),
        signing_certificates: Sequence[CertificateInput] = (),
        partner: Mapping[str, str] | None = None,
    ) -> Change:
        """A gateway (``gateway_url``, TLS and signing certificates) or a partner without
        xgw (``partner={protocol, url, request_hash?}``, TLS certificates only)."""
        new_id = member_id(member)
        doc = self._working_copy()
        if any(entry["id"] == str(new_id) for entry in doc["members"]):
            raise ConflictError(f"member {new_id} is in the draft already")
        tls = [as_certificate(c) for c in tls_certificates]
        signing = [as_certificate(c) for c in signing_certificates]
        check_member_shape(new_id, gateway_url, tls, signing, partner)
        for cert in tls + signing:
            check_new_certificate(doc, cert, new_id, partner is not None)
        entry: dict[str, Any] = {"id": str(new_id), "name": name}
        if partner is None:
            entry["gateway_url"] = gateway_url
        else:
            entry["partner"] = dict(partner)
        entry["tls_certificates"] = [certificate_to_pem(c) for c in tls]
        if signing:
            entry["signing_certificates"] = [certificate_to_pem(c) for c in signing]
        doc["members"].append(entry)
        kind = "partner" if partner is not None else "gateway"
        summary = f"added {kind} member {new_id} ({name})"
        return self._commit(doc, Change("member.add", str(new_id), summary))

    def remove_member(self, member: str | ClientId) -> Change:
        """Remove a member with its subsystems and services, and every access right that
        names one of them (as client or as service)."""
        gone = member_id(member)
        doc = self._working_copy()
        entry = find_member(doc, gone)
        doc["members"].remove(entry)
        removed = drop_access(
            doc,
            lambda right: (
                ClientId.parse(right.client).member == gone
                or ServiceId.parse(right.service).provider.member == gone
            ),
        )
        summary = f"removed member {gone} ({entry['name']})"
        return self._commit(doc, Change("member.remove", str(gone), summary, removed))

    def add_subsystem(self, member: str | ClientId, code: str, name: str) -> Change:
        owner = member_id(member)
        doc = self._working_copy()
        entry = find_member(doc, owner)
        if any(s["code"] == code for s in entry.get("subsystems", [])):
            raise ConflictError(f"member {owner} has a subsystem {code!r} already")
        entry.setdefault("subsystems", []).append({"code": code, "name": name})
        target = f"{owner}/{code}"
        return self._commit(doc, Change("subsystem.add", target, f"added subsystem {target}"))

    def remove_subsystem(self, member: str | ClientId, code: str) -> Change:
        """Remove a subsystem that provides no services, with the access rights it holds."""
        owner = member_id(member)
        doc = self._working_copy()
        entry = find_member(doc, owner)
        subsystems = entry.get("subsystems", [])
        if not any(s["code"] == code for s in subsystems):
            raise NotFoundError(f"member {owner} has no subsystem {code!r}")
        provided = [s["code"] for s in entry.get("services", []) if s["subsystem"] == code]
        if provided:
            raise ConflictError(
                f"subsystem {owner}/{code} provides the services {', '.join(provided)}; "
                "remove them first"
            )
        entry["subsystems"] = [s for s in subsystems if s["code"] != code]
        target = f"{owner}/{code}"
        removed = drop_access(doc, lambda right: right.client == target)
        summary = f"removed subsystem {target}"
        return self._commit(doc, Change("subsystem.remove", target, summary, removed))

    # ------------------------------------------------------------------ services

    def add_service(
        self,
        member: str | ClientId,
        subsystem: str,
        code: str,
        type: str,
        format: str | None = None,
        endpoints: Sequence[EndpointInput] | None = None,
        version: str | None = None,
        address: str | None = None,
        openapi: str | None = None,
    ) -> Change:
        """A service of one of the member's subsystems; no endpoints: any method and path."""
        owner = member_id(member)
        doc = self._working_copy()
        entry = find_member(doc, owner)
        if not any(s["code"] == subsystem for s in entry.get("subsystems", [])):
            raise NotFoundError(f"member {owner} has no subsystem {subsystem!r}; add it first")
        target = f"{owner}/{subsystem}/{code}"
        services = entry.setdefault("services", [])
        if any(s["subsystem"] == subsystem and s["code"] == code for s in services):
            raise ConflictError(f"service {target} is in the draft already")
        if type.upper() not in ("REST", "SOAP"):
            raise AdminError(f"service {target}: type {type!r} is neither REST nor SOAP")
        optional = {"format": format, "version": version, "address": address, "openapi": openapi}
        service: dict[str, Any] = {"subsystem": subsystem, "code": code, "type": type.upper()}
        service.update({key: value for key, value in optional.items() if value is not None})
        if endpoints:
            service["endpoints"] = endpoint_entries(parse_endpoint(e) for e in endpoints)
        services.append(service)
        return self._commit(doc, Change("service.add", target, f"added service {target}"))

    def remove_service(self, service: str | ServiceId) -> Change:
        """Remove a service and every access right to it."""
        gone = service_id(service)
        doc = self._working_copy()
        entry, index = find_service(doc, gone)
        del entry["services"][index]
        removed = drop_access(doc, lambda right: right.service == str(gone))
        summary = f"removed service {gone}"
        return self._commit(doc, Change("service.remove", str(gone), summary, removed))

    # ------------------------------------------------------------------ access rights

    def grant(
        self,
        client: str | ClientId,
        service: str | ServiceId,
        endpoints: Sequence[EndpointInput] | None = None,
    ) -> Change:
        """Let a subsystem call a service: the given endpoints, or (none given) every
        endpoint of the service. Adds to what the client may call already."""
        who, what = subsystem_id(client), service_id(service)
        doc = self._working_copy()
        find_service(doc, what)
        if member_of(doc, who) is None:
            raise NotFoundError(f"client {who} is not a subsystem of any member in the draft")
        held = access_right(doc, who, what)
        if held is not None and not held.endpoints:
            raise ConflictError(f"{who} may call every endpoint of {what} already")
        granted: tuple[Endpoint, ...] = ()  # every endpoint
        if endpoints:
            asked = [parse_endpoint(e) for e in endpoints]
            before = held.endpoints if held is not None else ()
            new = [e for e in dict.fromkeys(asked) if e not in before]
            if not new:
                raise ConflictError(f"{who} may call {listing(asked)} on {what} already")
            granted = (*before, *new)
        right = AccessRight(str(who), str(what), granted)
        replace_access(doc, who, what, right)
        return self._commit(doc, Change("access.grant", str(what), f"granted {right.describe()}"))

    def withdraw(
        self,
        client: str | ClientId,
        service: str | ServiceId,
        endpoints: Sequence[EndpointInput] | None = None,
    ) -> Change:
        """Withdraw the given endpoints, or (none given) the client's whole access right."""
        who, what = subsystem_id(client), service_id(service)
        doc = self._working_copy()
        held = access_right(doc, who, what)
        if held is None:
            raise NotFoundError(f"{who} has no access right to {what}")
        if not endpoints:
            replace_access(doc, who, what, None)
            summary = f"withdrew {held.describe()}"
            return self._commit(doc, Change("access.withdraw", str(what), summary))
        granted = held.endpoints or service_endpoints(doc, held)
        asked = [parse_endpoint(e) for e in endpoints]
        missing = [e for e in asked if e not in granted]
        if missing:
            raise NotFoundError(f"{who} was not granted {listing(missing)} on {what}")
        left = tuple(e for e in granted if e not in asked)
        # Nothing left: no entry at all (an entry without endpoints would grant everything).
        replace_access(doc, who, what, AccessRight(str(who), str(what), left) if left else None)
        summary = f"withdrew {listing(asked)} from {who} on {what}"
        notes = (f"still granted: {listing(left)}",) if left else ("no access right left",)
        return self._commit(doc, Change("access.withdraw", str(what), summary, notes=notes))

    # ------------------------------------------------------------------ certificates

    def add_certificate(
        self, member: str | ClientId, usage: str, certificate: CertificateInput
    ) -> Change:
        """Add a member's next TLS or signing certificate: gateways accept both the old and
        the new one from publication on (the rotation overlap)."""
        owner, key = member_id(member), certificate_key(usage)
        cert = as_certificate(certificate)
        doc = self._working_copy()
        entry = find_member(doc, owner)
        if "partner" in entry and usage == "signing":
            raise AdminError(f"member {owner} is a partner without xgw: it signs no xgw messages")
        listed = [as_certificate(pem) for pem in entry.get(key, [])]
        if fingerprint(cert) in {fingerprint(c) for c in listed}:
            raise ConflictError(f"member {owner} lists {fingerprint(cert)} already")
        if len(listed) >= MAX_CERTIFICATES:
            raise ConflictError(
                f"member {owner} lists {len(listed)} {usage} certificates already (the old and "
                "the next one of a rotation); remove the old one first"
            )
        check_new_certificate(doc, cert, owner, "partner" in entry)
        entry.setdefault(key, []).append(certificate_to_pem(cert))
        notes: tuple[str, ...] = ()
        if listed:
            notes = (
                "both certificates are accepted from publication on; remove the old one "
                "once every gateway uses the new one",
            )
        summary = f"added {usage} certificate {fingerprint(cert)} to {owner}"
        return self._commit(doc, Change("certificate.add", fingerprint(cert), summary, notes=notes))

    def remove_certificate(self, member: str | ClientId, fingerprint_hex: str) -> Change:
        """Remove one of a member's certificates; never its last TLS or signing one."""
        owner, wanted = member_id(member), normalise_fingerprint(fingerprint_hex)
        doc = self._working_copy()
        entry = find_member(doc, owner)
        for usage, key in CERTIFICATE_KEYS.items():
            pems = entry.get(key, [])
            kept = [pem for pem in pems if fingerprint(as_certificate(pem)) != wanted]
            if len(kept) == len(pems):
                continue
            if not kept:
                raise ConflictError(
                    f"{wanted} is the only {usage} certificate of {owner}; add its successor first"
                )
            entry[key] = kept
            summary = f"removed {usage} certificate {wanted} from {owner}"
            return self._commit(doc, Change("certificate.remove", wanted, summary))
        raise NotFoundError(f"member {owner} lists no certificate {wanted}")

    def revoke(self, certificate: CertificateInput | int, reason: str = "unspecified") -> Change:
        """Revoke a certificate (or a hex serial): gateways refuse it from publication on.

        Allowed for a certificate a member still lists; the result names who lists it.
        """
        if reason not in revocation_reasons():
            raise AdminError(
                f"reason {reason!r} is not an RFC 5280 reason: {', '.join(revocation_reasons())}"
            )
        serial = serial_of(certificate)
        doc = self._working_copy()
        for entry in doc.get("revoked", []):
            if int(entry["serial"], 16) == serial:
                raise ConflictError(
                    f"serial {serial:x} is revoked already ({entry.get('reason', 'unspecified')})"
                )
        doc.setdefault("revoked", []).append({"serial": format(serial, "x"), "reason": reason})
        listers = listed_by(doc, serial)
        notes: tuple[str, ...] = ()
        if listers:
            notes = (
                f"still listed by {', '.join(listers)}: refused from publication on; "
                "remove it there too",
            )
        summary = f"revoked serial {serial:x} ({reason})"
        change = Change("certificate.revoke", format(serial, "x"), summary, (), listers, notes)
        return self._commit(doc, change)

    def add_ca(self, certificate: CertificateInput) -> Change:
        """Trust another CA for members' certificates (e.g. before a CA rollover)."""
        cert = as_certificate(certificate)
        if not is_ca(cert):
            raise AdminError(f"{cert.subject.rfc4514_string()} is not a CA certificate")
        doc = self._working_copy()
        if fingerprint(cert) in {fingerprint(as_certificate(pem)) for pem in doc["cas"]}:
            raise ConflictError(f"CA {fingerprint(cert)} is listed already")
        doc["cas"].append(certificate_to_pem(cert))
        summary = f"added CA {cert.subject.rfc4514_string()} ({fingerprint(cert)})"
        return self._commit(doc, Change("ca.add", fingerprint(cert), summary))

    def remove_ca(self, fingerprint_hex: str) -> Change:
        """Stop trusting a CA; refused while it issued a certificate a member lists."""
        wanted = normalise_fingerprint(fingerprint_hex)
        doc = self._working_copy()
        cas = [as_certificate(pem) for pem in doc["cas"]]
        ca = next((c for c in cas if fingerprint(c) == wanted), None)
        if ca is None:
            raise NotFoundError(f"no CA {wanted} in the draft")
        if len(cas) == 1:
            raise ConflictError("it is the only CA; add its successor first")
        issued = issued_certificates(doc, ca)
        if issued:
            raise ConflictError(
                f"CA {wanted} issued certificates members list: {', '.join(issued)}; "
                "replace them first"
            )
        doc["cas"] = [certificate_to_pem(c) for c in cas if c is not ca]
        summary = f"removed CA {ca.subject.rfc4514_string()} ({wanted})"
        return self._commit(doc, Change("ca.remove", wanted, summary))


# ---------------------------------------------------------------------------- helpers


def _parse_json(path: Path, data: bytes) -> dict[str, Any]:
    if not data.lstrip().startswith(b"{"):
        raise ConfigError(
            "draft",
            f"{path} is not an unsigned directory (JSON); the draft is what "
            "'xgw directory create' writes, not a signed publication",
        )
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ConfigError("draft", f"{path}: {exc}") from exc
    if not isinstance(doc, dict):
        raise ConfigError("draft", f"{path}: not a JSON object")
    return doc


def _save_failure(exc: ConflictError | OSError) -> str:
    # Names no path: the warning reaches admin API callers too.
    if isinstance(exc, ConflictError):
        return "it was changed meanwhile by a writer that does not take its lock"
    return exc.strerror or type(exc).__name__


def _service_json(member: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": f"{member}/{entry['subsystem']}/{entry['code']}",
        "type": entry["type"],
        "format": entry.get("format", "opaque"),
        "version": entry.get("version"),
        "address": entry.get("address"),
        "endpoints": [f"{e['method']} {e['path']}" for e in entry.get("endpoints", [])],
    }
