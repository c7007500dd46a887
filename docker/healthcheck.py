#!/usr/bin/env python3
"""The container's health check: healthy when a probe URL answers 200.

Usage::

    xgw-healthcheck                                   # $XGW_HEALTHCHECK_URL: the image sets
                                                      # the admin listener's /readyz
    xgw-healthcheck http://127.0.0.1:9001/healthz     # a demo register
    xgw-healthcheck https://127.0.0.1:9443/healthz --cafile /state/public/ca.pem

Exit 0 when healthy, 1 when not, with one line saying why (``docker inspect`` shows it).
Standard library only: it runs in the image beside xgw, and in the tests as it is.
"""

from __future__ import annotations

import argparse
import os
import ssl
import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8444/readyz"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="xgw-healthcheck", description=__doc__.split("\n")[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("XGW_HEALTHCHECK_URL"))
    parser.add_argument("--cafile", help="trust this CA for an https URL")
    parser.add_argument("--timeout", type=float, default=4.0)
    args = parser.parse_args(argv)
    url = args.url or DEFAULT_URL
    if not url.startswith(("http://", "https://")):
        print(f"unhealthy: {url!r} is no http(s) URL", file=sys.stderr)
        return 1
    context = ssl.create_default_context(cafile=args.cafile) if url.startswith("https") else None
    try:
        with urllib.request.urlopen(url, timeout=args.timeout, context=context) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:  # 503 from /readyz: unready, and it says why
        body = exc.read(500).decode("utf-8", "replace")
        print(f"unhealthy: {url} answered {exc.code}: {body}")
        return 1
    except (OSError, ValueError) as exc:
        print(f"unhealthy: {url}: {exc}")
        return 1
    print(f"healthy: {url} answered {status}")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
