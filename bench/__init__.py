"""The benchmark: xgw's gateway chain against a plain aiohttp proxy chain (docs/performance.md).

Usage::

    python -m bench.chain --requests 3000 --concurrency 16 [--body-bytes 3072] [--json]

A script, never a test: it starts every component as its own process on
127.0.0.1, loads both chains from the main process and prints throughput,
latency and CPU per exchange of each proxy or gateway process.
"""
