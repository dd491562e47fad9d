"""SQL for "this column's value is in a set", with one parameter whatever the set's size.

A reader's principals name every public space: at 5,000 spaces that is ~2,250 strings. As an
expanding ``IN (?, ?, ...)`` each statement rendered and bound one parameter per principal
(30 % of a home page's time at that scale, measured with bench/profile_page.py) and could not
be kept compiled. Here the set travels as one value: a JSON array read with ``json_each`` on
SQLite, an array compared with ``= ANY`` on PostgreSQL. The statement compiles once and stays
in SQLAlchemy's cache; the database builds the set in C. Used for the audience and plugin of
``visible()`` and for what a reader follows (people, tags) in streams.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Boolean, Integer, String, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator, TypeEngine


class ValueSet(TypeDecorator[Any]):
    """A set of strings (or of integers) bound as one parameter: JSON text on SQLite, an
    array on PostgreSQL."""

    impl = String
    cache_ok = True

    def __init__(self, integers: bool = False) -> None:
        super().__init__()
        self.integers = integers

    def load_dialect_impl(self, dialect: Any) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(Integer if self.integers else String))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return list(value)
        cached = getattr(value, "as_json", None)  # a ReadScope keeps its JSON
        return cached if isinstance(cached, str) else as_json(value)


def as_json(values: Iterable[Any]) -> str:
    """The JSON array ``json_each`` reads (sorted, so equal sets give equal text)."""
    return json.dumps(sorted(values), separators=(",", ":"))


class InSet(ColumnElement[bool]):
    """``expression IN values``: see the module's docstring."""

    __visit_name__ = "in_set"
    inherit_cache = True
    type = Boolean()
    _traverse_internals = [
        ("target", InternalTraversal.dp_clauseelement),
        ("values", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, target: ColumnElement[Any], values: Iterable[Any], integers: bool) -> None:
        self.target = target
        self.values: BindParameter[Any] = bindparam(None, values, type_=ValueSet(integers))


@compiles(InSet, "sqlite")
def _in_set_sqlite(element: InSet, compiler: Any, **kw: Any) -> str:
    target = compiler.process(element.target, **kw)
    values = compiler.process(element.values, **kw)
    return f"{target} IN (SELECT value FROM json_each({values}))"


@compiles(InSet)
def _in_set_array(element: InSet, compiler: Any, **kw: Any) -> str:
    target = compiler.process(element.target, **kw)
    return f"{target} = ANY({compiler.process(element.values, **kw)})"


def in_set(target: ColumnElement[Any], values: Iterable[Any], *, integers: bool = False) -> InSet:
    """``target`` (a column, or an expression of one) among ``values``: strings, or with
    ``integers`` integers."""
    return InSet(target, values, integers)
