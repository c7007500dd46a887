"""Frontends: one per inbound protocol, each turning requests into exchanges.

Usage::

    xroad_rest.add_routes(app, node, pipeline, direction="outbound")
    operations.add_routes(app, node)

Today: the X-Road message protocol for REST (client and peer ports) and the
operations endpoints. X-Road SOAP and the BENELUX front doors join here.
"""
