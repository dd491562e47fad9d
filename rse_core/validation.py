"""The errors services raise, which pages and the API turn into answers: invalid input (422,
field by field), a conflict with what exists (409), a refusal (403), nothing to see (404)."""

from __future__ import annotations

import re


class ValidationError(ValueError):
    """Input that cannot be accepted; ``fields`` maps each field to a message."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


class Conflict(ValidationError):
    """Input that is well-formed but conflicts with what exists (a taken address, the last
    owner leaving): pages show it like any field error, the API answers 409."""


class NotFound(LookupError):
    """No such object, or the user may not know it exists."""


class Forbidden(PermissionError):
    """The user may see the object but not do this to it."""


USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,39}$")
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")


def clean_text(
    value: object,
    field: str,
    *,
    max_length: int,
    required: bool | str = False,
    one_line: bool = False,
) -> str:
    """A stripped string no longer than ``max_length`` (raises ValidationError).

    ``None`` is "". Line ends become ``\n``; NUL characters are refused (PostgreSQL cannot
    store them). ``required`` is True, or the message to show when the text is empty;
    ``one_line`` folds every run of whitespace to one space (titles).
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: "Must be text."})
    if "\x00" in value:
        raise ValidationError({field: "Must not contain NUL characters."})
    value = " ".join(value.split()) if one_line else value.replace("\r\n", "\n").strip()
    if required and not value:
        message = required if isinstance(required, str) else "This field is required."
        raise ValidationError({field: message})
    if len(value) > max_length:
        raise ValidationError({field: f"Use at most {max_length:,} characters."})
    return value


def slugify(text: str) -> str:
    """A URL slug from a name: lower-case ASCII letters, digits and dashes."""
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60].strip("-")


#: A tag: a letter or digit, then letters, digits, dashes or underscores, 40 at most.
TAG = re.compile(r"^[^\W_][\w-]{0,39}$", re.UNICODE)


def clean_tags(value: object, *, max_tags: int = 10) -> list[str]:
    """Tags from a list or a comma/space separated string: lower-case words without their
    ``#``, each once, at most ``max_tags``; a bad one is a ``tags`` field error."""
    if isinstance(value, str):
        value = re.split(r"[,\s]+", value)
    if not isinstance(value, list | tuple) or not all(isinstance(t, str) for t in value):
        raise ValidationError({"tags": "Give tags as a list of words."})
    tags = list(dict.fromkeys(t.strip().lstrip("#").lower() for t in value if t.strip()))
    bad = [t for t in tags if not TAG.match(t)]
    if bad:
        raise ValidationError({"tags": f"Not a tag: {bad[0][:40]!r} (letters, digits, dashes)."})
    if len(tags) > max_tags:
        raise ValidationError({"tags": f"Use at most {max_tags} tags."})
    return tags
