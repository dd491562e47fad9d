"""The one Settings object: read from ``RSE_*`` environment variables and an optional ``rse.toml``.

Precedence, highest first: keyword arguments, environment variables, ``rse.toml`` (in the
working directory, or the file named by ``RSE_CONFIG``), then the defaults below.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

_SECRET_FILE = "secret_key"


@dataclass(frozen=True)
class Settings:
    """Everything the app, the CLI and the tests need to know about one installation."""

    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: str = ""
    site_templates_dir: Path | None = None
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "testserver")
    trace_hooks: bool = False
    debug: bool = False
    #: Load installed plugins from the ``rse.plugins`` entry point group.
    load_entry_points: bool = True
    #: "whoosh" (embedded, the default), "postgres" (PostgreSQL full text, in the database of
    #: ``database_url``, which must then be PostgreSQL) or "none" (search off).
    search_backend: str = "whoosh"
    #: Index in the web process (the first worker takes the writer lock), or "external" when
    #: ``rse search indexer`` runs as its own process.
    search_indexer: str = "inprocess"
    #: Run background jobs in a thread of each web process ("inprocess", the default), or
    #: "external" when ``rse worker`` runs as its own process(es); "off" runs none (tests).
    jobs_worker: str = "inprocess"
    #: The site's time zone (IANA name): times are shown in it unless a person chose theirs.
    time_zone: str = "UTC"
    #: The address people reach the site at (``https://intranet.example.com``), for links in
    #: e-mails and absolute IRIs in the API; each request's own address when empty.
    public_url: str = ""
    #: Outgoing mail: ``smtp://user:password@host:587`` (STARTTLS when the server offers it)
    #: or ``smtps://...`` (TLS from the start); when empty, mails are written as ``.eml``
    #: files under ``data_dir/mail`` (the embedded default: read them there).
    smtp_url: str = ""
    #: The sender of the site's mails.
    mail_from: str = "rse@localhost"
    #: Check every API response against its declared shape and statuses (the tests do): a
    #: drift from the OpenAPI document becomes an error instead of a surprise for clients.
    check_api_responses: bool = False
    #: How long (seconds) a worker keeps what every reader's page shares, such as the week's
    #: trending tags (``rse_core.shared_tally``); 0 computes it for every page. A change of
    #: access (membership, space visibility, rollout) drops it at once whatever this says.
    shared_seconds: int = 60
    #: Hosts (names or addresses, as written in URLs) that webhooks may call although they
    #: are not public addresses: the company's internal tools. Everything else must resolve
    #: to public addresses only (the SSRF rule of every outgoing request).
    webhook_hosts: tuple[str, ...] = ()
    #: Single sign-on with OpenID Connect: the provider's issuer URL (its discovery document is
    #: ``<issuer>/.well-known/openid-configuration``), and this site's client id and secret
    #: registered there with the redirect URI ``<public_url>/sso/callback``. Empty: off.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    #: What the sign-in button names ("Sign in with Acme account"); "your company account"
    #: when empty.
    oidc_label: str = ""
    #: Create an account at a person's first sign-in (from the claims); when off, only people
    #: who already have an account (by verified e-mail, or provisioned by SCIM) get in.
    oidc_create_accounts: bool = True
    #: The claims that carry a person's department and job title (providers name them
    #: differently; standard claims give the name and e-mail).
    oidc_department_claim: str = "department"
    oidc_job_title_claim: str = "job_title"
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``rse.toml``, then ``RSE_*`` variables, then ``overrides``."""
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        config_path = Path(env.get("RSE_CONFIG", "rse.toml"))
        if config_path.is_file():
            with config_path.open("rb") as fh:
                values.update(tomllib.load(fh))
        known = {f.name for f in fields(cls)}
        for key, value in env.items():
            if key.startswith("RSE_") and key != "RSE_CONFIG":
                # Known names fill fields; others (RSE_BOOKMARKS_FETCH_TITLES) go to ``extra``
                # for plugins, like unknown keys of rse.toml.
                values[key[4:].lower()] = value
        values.update(overrides)
        unknown = set(values) - known
        extra = {k: values.pop(k) for k in unknown}
        settings = cls(**{k: _coerce(k, v) for k, v in values.items()})
        if extra:
            settings = replace(settings, extra={**settings.extra, **extra})
        return settings.resolved()

    def resolved(self) -> Settings:
        """Fill in what defaults to the data dir: the database URL and the secret key."""
        data_dir = Path(self.data_dir).resolve()
        database_url = self.database_url or f"sqlite:///{data_dir / 'rse.db'}"
        return replace(self, data_dir=data_dir, database_url=database_url)

    def ensure_secret_key(self) -> Settings:
        """Return settings with a secret key, generating one into the data dir on first run."""
        if self.secret_key:
            return self
        path = self.data_dir / _SECRET_FILE
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        return replace(self, secret_key=path.read_text().strip())

    @property
    def is_sqlite(self) -> bool:
        """True when the database is SQLite (the embedded default)."""
        return self.database_url.startswith("sqlite")


BOOLEANS = {
    "trace_hooks",
    "debug",
    "load_entry_points",
    "check_api_responses",
    "oidc_create_accounts",
}
INTEGERS = {"shared_seconds"}


def _coerce(name: str, value: Any) -> Any:
    if name in {"data_dir", "site_templates_dir"}:
        return Path(value) if value not in (None, "") else None
    if name in BOOLEANS and isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if name in INTEGERS and isinstance(value, str):
        return int(value)
    if name in {"allowed_hosts", "webhook_hosts"} and isinstance(value, str):
        return tuple(h.strip() for h in value.split(",") if h.strip())
    if name in {"allowed_hosts", "webhook_hosts"}:
        return tuple(value)
    return value
