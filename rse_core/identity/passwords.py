"""Password hashing with argon2id (argon2-cffi), rehashing when parameters change."""

from __future__ import annotations

import contextlib
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..i18n import N_

MIN_PASSWORD_LENGTH = 10  # said in password_problem()

_state = {"hasher": PasswordHasher()}  # argon2id, the library's recommended parameters


def set_hasher(hasher: PasswordHasher) -> None:
    """Use other argon2 parameters (the test kit uses cheap ones). Hashes made with the
    previous parameters are upgraded at the next successful login."""
    _state["hasher"] = hasher
    _dummy_hash.cache_clear()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _state["hasher"].hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("not a real password, only for timing")


def burn_time(password: str) -> None:
    """Spend the time of one verification, so an unknown username answers as slowly."""
    with contextlib.suppress(VerificationError):
        _state["hasher"].verify(_dummy_hash(), password)


def verify_password(stored_hash: str, password: str) -> tuple[bool, str | None]:
    """Check ``password``; return (ok, new hash if the stored one should be upgraded)."""
    hasher = _state["hasher"]
    if not stored_hash:
        burn_time(password)
        return False, None
    try:
        hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    if hasher.check_needs_rehash(stored_hash):
        return True, hasher.hash(password)
    return True, None


def password_problem(password: str) -> str | None:
    """Why ``password`` is not acceptable, or None."""
    # Literal messages (not f-strings) so that the catalogs can translate them.
    if len(password) < MIN_PASSWORD_LENGTH:
        return N_("Use at least 10 characters.")
    if len(password) > 1024:
        return N_("Use at most 1024 characters.")
    return None
