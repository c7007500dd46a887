"""The benchmark: xgw's gateway chain against a plain aiohttp proxy chain (docs/performance.md).

Usage::

    python -m bench.chain --requests 3000 --concurrency 16 [--payload opaque] [--json]
    python -m bench.inprocess --requests 2000 --profile 40     # the xgw chain in one process

A script, never a test: it starts every component as its own process on
127.0.0.1, loads both chains from the main process and prints throughput,
latency (also at a fixed offered load) and CPU per exchange of each proxy or
gateway process.
"""
