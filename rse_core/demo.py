"""Demo data: what ``make run`` shows a first-time visitor."""

from __future__ import annotations

from .enablement import EVERYONE, set_enablement
from .identity.demo import demo_logins
from .meta import get_meta, set_meta
from .runtime import Runtime

DEMO_KEY = "demo_loaded"


def load_demo(rt: Runtime, *, actor: str) -> tuple[bool, list[str]]:
    """Load demo data once; return (loaded now?, lines describing the demo logins)."""
    with rt.db.write() as session:
        if get_meta(session, DEMO_KEY):
            return False, demo_logins()
        for name in rt.plugins.plugin_names():
            set_enablement(session, name, enabled=True, audience=(EVERYONE,), actor=actor)
        rt.plugins.hook.rse_demo_data(session=session, settings=rt.settings)
        set_meta(session, DEMO_KEY, "1")
    return True, demo_logins()
