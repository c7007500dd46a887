"""``xgw translate``: one message from one format to another, offline, with its notes.

Usage::

    xgw translate --from nl.brp --to xoev.xmeld query.json
    xgw translate --from xoev.xgewerbeanzeige --to canonical anmeldung.xml

The same connectors and canonical validation as the gateway's edges: decode with
the source connector, validate the canonical document, encode with the target.
Notes (what could not be carried across) go to stderr; an invalid input exits 1
with the reason.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import replace
from pathlib import Path

from connectors.base import ConnectorOptions, EncodesWithNotes, Envelope
from connectors.canonical.validate import validate as validate_canonical
from connectors.registry import ConnectorRegistry
from gateway.errors import ConfigError, GatewayError
from gateway.stages.translate import CANONICAL_MEDIA_TYPE, from_wire, to_wire

__all__ = ["translate", "translate_file"]

CANONICAL = "canonical"


async def translate(
    registry: ConnectorRegistry, source: str, target: str, body: bytes, media_type: str
) -> tuple[bytes, str, Envelope]:
    """``(output, its media type, the canonical envelope)``; GatewayError on invalid input."""
    if source == CANONICAL:
        envelope = from_wire(body)
    else:
        envelope = await registry.get(source).decode(body, media_type)
        if envelope.kind is None or envelope.document is None:
            raise GatewayError(
                f"connector {source} produced no canonical document", code="InvalidMessage"
            )
        validate_canonical(envelope.kind, envelope.document)
    if target == CANONICAL:
        return to_wire(envelope), CANONICAL_MEDIA_TYPE, envelope
    connector = registry.get(target)
    if isinstance(connector, EncodesWithNotes):
        output, output_type, lost = connector.encode_with_notes(envelope)
        envelope = replace(envelope, notes=(*envelope.notes, *lost))
    else:
        output, output_type = await connector.encode(envelope)
    return output, output_type, envelope


def translate_file(
    path: Path,
    source: str,
    target: str,
    *,
    media_type: str,
    schema_dir: Path | None,
    lenient: bool,
    as_json: bool,
) -> int:
    try:
        body = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as exc:
        raise ConfigError("FILE", f"cannot read {path}: {exc.strerror or exc}") from exc
    registry = ConnectorRegistry.default(ConnectorOptions(schema_dir, lenient))
    try:
        output, output_type, envelope = asyncio.run(
            translate(registry, source, target, body, media_type)
        )
    except GatewayError as exc:
        print(f"xgw translate: invalid input: {exc.message}", file=sys.stderr)
        return 1
    if as_json:
        print(
            json.dumps(
                {
                    "media_type": output_type,
                    "kind": envelope.kind,
                    "notes": list(envelope.notes),
                    "output": output.decode("utf-8", "replace"),
                },
                ensure_ascii=False,
            )
        )
        return 0
    sys.stdout.buffer.write(output if output.endswith(b"\n") else output + b"\n")
    for note in envelope.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0
