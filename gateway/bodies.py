"""Read a message body, refusing it as soon as it passes a size limit.

Usage::

    body = await read_bounded(request.content, request.content_length, limit,
                              "request body", BodyTooLargeError)

One reader for requests from clients and answers from backends and peers; only
the error differs (``Client.InvalidBody`` or ``ServiceFailed``).
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import StreamReader

from gateway.errors import GatewayError

__all__ = ["read_bounded"]


async def read_bounded(
    stream: StreamReader,
    declared: int | None,
    limit: int,
    what: str,
    refuse: Callable[[str], GatewayError],
) -> bytes:
    if declared is not None and declared > limit:
        raise refuse(f"{what} of {declared} bytes is over the {limit}-byte limit")
    chunks, size = [], 0
    async for chunk in stream.iter_any():
        size += len(chunk)
        if size > limit:
            raise refuse(f"{what} is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)
