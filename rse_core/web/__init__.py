"""The web layer: templating, request context, gated routing, core pages and API."""
