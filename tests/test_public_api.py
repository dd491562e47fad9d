"""Plugins use only rse_core's public API (what its __init__ exports), never its internals."""

from __future__ import annotations

import ast

import pytest

import rse_core
from tests.conftest import ROOT

pytestmark = pytest.mark.portable

PLUGIN_PACKAGES = [
    path
    for path in [*ROOT.glob("plugins/*/rse_*"), ROOT / "tests/example_plugin/rse_example"]
    if path.is_dir()
]


def test_there_are_plugins_to_check():
    assert {p.name for p in PLUGIN_PACKAGES} >= {"rse_feed", "rse_bookmarks", "rse_example"}


def test_plugins_import_only_the_public_api():
    offences = []
    for package in PLUGIN_PACKAGES:
        for source in package.rglob("*.py"):
            for node in ast.walk(ast.parse(source.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module:
                    if node.module.startswith("rse_core."):
                        offences.append(f"{source}: from {node.module} import ...")
                    elif node.module == "rse_core":
                        missing = [a.name for a in node.names if a.name not in rse_core.__all__]
                        offences += [f"{source}: {name} is not public" for name in missing]
                elif isinstance(node, ast.Import):
                    offences += [
                        f"{source}: import {a.name}"
                        for a in node.names
                        if a.name.startswith("rse_core.")
                    ]
    assert offences == []


def test_everything_exported_exists():
    assert all(hasattr(rse_core, name) for name in rse_core.__all__)
