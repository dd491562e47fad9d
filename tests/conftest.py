"""Shared helpers for rse's own tests (plugin-author fixtures come from rse_core.testing)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def rse_bin() -> Path:
    """The ``rse`` executable of the environment running the tests."""
    return VENV_BIN / "rse"
