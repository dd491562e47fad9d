"""Talking to the directory (ldap3): find a person, check their password by binding as them,
and read everyone for a sync.

Configured from ``rse.toml`` or ``RSE_LDAP_*`` variables (``settings.extra``); the defaults
suit OpenLDAP's ``inetOrgPerson``; for Active Directory set ``ldap_username_attribute =
"sAMAccountName"``, ``ldap_id_attribute = "objectGUID"``, ``ldap_department_attribute =
"department"`` and the filters on ``(objectCategory=person)``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ldap3 import Connection

# ldap3 is imported by the methods that talk to the directory: a worker of a site with the
# plugin installed but no directory in use does not load it (~5 MB, 0.1 s).

__all__ = ["Directory", "DirectoryError"]


class DirectoryError(RuntimeError):
    """The directory could not be reached or answered an error."""


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Directory:
    """One directory: where it is, the service account that searches it, and its names."""

    url: str
    base_dn: str
    bind_dn: str = ""
    bind_password: str = ""
    user_filter: str = "(&(objectClass=inetOrgPerson)(uid={username}))"
    people_filter: str = "(objectClass=inetOrgPerson)"
    id_attribute: str = "entryUUID"
    username_attribute: str = "uid"
    email_attribute: str = "mail"
    name_attribute: str = "cn"
    department_attribute: str = "departmentNumber"
    title_attribute: str = "title"
    start_tls: bool = False
    create_accounts: bool = True
    timeout: float = 5.0

    @classmethod
    def from_settings(cls, settings: Any) -> Directory | None:
        """The directory ``settings`` name (``ldap_url`` and ``ldap_base_dn``), or None."""
        extra: Mapping[str, Any] = settings.extra
        if not extra.get("ldap_url") or not extra.get("ldap_base_dn"):
            return None
        values: dict[str, Any] = {}
        for name, default in cls.__dataclass_fields__.items():
            raw = extra.get(f"ldap_{name}")
            if raw is None:
                continue
            if isinstance(default.default, bool):
                values[name] = _flag(raw)
            elif isinstance(default.default, float):
                values[name] = float(raw)
            else:
                values[name] = str(raw)
        return cls(**values)

    @property
    def source(self) -> str:
        """How rse names this directory in account links."""
        return f"ldap:{self.url}/{self.base_dn}"

    @property
    def _attributes(self) -> list[str]:
        return [
            self.id_attribute,
            self.username_attribute,
            self.email_attribute,
            self.name_attribute,
            self.department_attribute,
            self.title_attribute,
        ]

    @contextmanager
    def _bound(self, user: str, password: str) -> Iterator[Connection | None]:
        """A connection bound as ``user``, or None when the directory refuses the password;
        always closed after (ldap3 leaves the socket of a failed connect open)."""
        from ldap3 import Connection, Server
        from ldap3.core.exceptions import LDAPException

        server = Server(self.url, connect_timeout=self.timeout)
        connection = Connection(
            server,
            user=user or None,
            password=password or None,
            receive_timeout=int(self.timeout),  # ldap3 packs it as a C long
        )
        try:
            connection.open()
            if self.start_tls:
                connection.start_tls()
            yield connection if connection.bind() else None
        except LDAPException as exc:
            raise DirectoryError(str(exc)) from exc
        finally:
            with suppress(LDAPException, OSError):
                connection.unbind()
            if connection.socket is not None:
                connection.socket.close()

    def claims(self, entry: Any) -> dict[str, Any]:
        """What the directory says about a person, as OpenID-style claims (the directory is
        the company's truth: its e-mail addresses count as verified)."""

        def first(name: str) -> str:
            values = entry.entry_attributes_as_dict.get(name) or []
            value = values[0] if values else ""
            if isinstance(value, bytes):  # Active Directory's objectGUID
                return str(uuid.UUID(bytes_le=value)) if len(value) == 16 else value.hex()
            return str(value)

        return {
            "sub": first(self.id_attribute) or entry.entry_dn,
            "preferred_username": first(self.username_attribute),
            "email": first(self.email_attribute),
            "email_verified": True,
            "name": first(self.name_attribute),
            "department": first(self.department_attribute),
            "job_title": first(self.title_attribute),
        }

    def authenticate(self, username: str, password: str) -> dict[str, Any] | None:
        """The person's claims when ``password`` is theirs, else None. An empty password is
        refused here: LDAP would take it as an anonymous bind and say yes."""
        if not username or not password:
            return None
        from ldap3 import SUBTREE
        from ldap3.utils.conv import escape_filter_chars

        query = self.user_filter.format(username=escape_filter_chars(username))
        with self._bound(self.bind_dn, self.bind_password) as service:
            if service is None:
                raise DirectoryError("the directory refused the service account's password")
            service.search(self.base_dn, query, SUBTREE, attributes=self._attributes, size_limit=2)
            entries = list(service.entries)
        if len(entries) != 1:
            return None
        with self._bound(entries[0].entry_dn, password) as person:
            return self.claims(entries[0]) if person is not None else None

    def people(self, page_size: int = 500) -> Iterator[dict[str, Any]]:
        """Everyone the people filter finds, page by page (directories cap one answer)."""
        from ldap3 import SUBTREE

        with self._bound(self.bind_dn, self.bind_password) as service:
            if service is None:
                raise DirectoryError("the directory refused the service account's password")
            pages = service.extend.standard.paged_search(
                self.base_dn,
                self.people_filter,
                SUBTREE,
                attributes=self._attributes,
                paged_size=page_size,
                generator=True,
            )
            for found in pages:
                if found.get("type") == "searchResEntry":
                    yield self.claims(_Entry(found["dn"], found["attributes"]))


class _Entry:
    """A paged search's raw result, read like an ldap3 entry."""

    def __init__(self, dn: str, attributes: Mapping[str, Any]) -> None:
        self.entry_dn = dn
        self.entry_attributes_as_dict = {
            k: v if isinstance(v, list) else [v] for k, v in attributes.items()
        }
