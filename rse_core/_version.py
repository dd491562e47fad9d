"""The core's version: one place, read by the packaging metadata and by plugin compatibility
checks (a plugin states the range it was built for through its ``rse-core`` dependency)."""

__version__ = "0.3.0"
