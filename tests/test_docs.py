"""The hook reference in docs/hooks.md cannot drift from hookspecs.py."""

from __future__ import annotations

import inspect
import re

import pytest

from rse_core import hookspecs
from tests.conftest import ROOT

pytestmark = pytest.mark.portable

HOOKS_DOC = ROOT / "docs" / "hooks.md"


def spec_signatures() -> dict[str, str]:
    found = {}
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction):
        if name.startswith("rse_"):
            params = ", ".join(inspect.signature(fn).parameters)
            found[name] = f"{name}({params})"
    return found


def documented_signatures() -> dict[str, str]:
    headings = re.findall(r"^### `(rse_\w+)\(([^)]*)\)`", HOOKS_DOC.read_text(), re.M)
    return {name: f"{name}({params})" for name, params in headings}


def test_every_hook_is_documented_with_its_exact_signature():
    specs, docs = spec_signatures(), documented_signatures()
    assert sorted(specs) == sorted(docs), "docs/hooks.md and hookspecs.py list different hooks"
    for name, signature in specs.items():
        assert docs[name] == signature, f"docs/hooks.md documents {docs[name]}, spec is {signature}"


def test_every_hook_has_a_docstring_with_its_result_rule():
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction):
        if name.startswith("rse_"):
            assert fn.__doc__ and len(fn.__doc__.strip()) > 40, name
