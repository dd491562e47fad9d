"""A worker loads the libraries of rarely used features when it first uses them, not at start:
SCIM's models (scim2_models, ~0.4 s and its pydantic models), authlib (single sign-on), ldap3
(a directory), Pillow and the documents' readers (a file's preview), icalendar (calendars).
They cost every start of ``rse`` and every worker's memory (#13: start-up under 2 s, a worker
under 150 MB at rest; docs/performance.md, "Start-up and memory").

Run in a fresh interpreter: the test process has imported them all.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

LAZY = ("scim2_models", "authlib", "ldap3", "PIL", "icalendar")

PROBE = """
import json, sys
from pathlib import Path
from starlette.testclient import TestClient
from rse_core.testing import add_user, build_app, enable, login, make_settings
app = build_app(make_settings(Path(sys.argv[1])))
for name in app.state.rse.plugins.plugin_names():
    enable(app, name)
add_user(app, "ann")
def loaded():
    return sorted(m for m in sys.argv[2:] if m in sys.modules)
with TestClient(app) as client:
    login(client, "ann")
    for path in ("/", "/people", "/search?q=plan", "/events", "/files", "/login"):
        assert client.get(path).status_code == 200, path
    at_rest = loaded()
    # SCIM refuses an employee, after its module (and scim2_models) is loaded.
    assert client.get("/scim/v2/ServiceProviderConfig").status_code == 403
print(json.dumps({"at_rest": at_rest, "after_scim": loaded()}))
"""


@pytest.mark.slow  # a fresh interpreter
def test_a_worker_serving_pages_has_not_loaded_the_rare_features_libraries(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "var"), *LAZY],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["at_rest"] == []
    assert seen["after_scim"] == ["scim2_models"]  # the probe sees a module once used
