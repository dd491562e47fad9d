"""SQL for "this column's value is in a set", with one parameter whatever the set's size.

A reader's principals name every public space: at 5,000 spaces that is ~2,250 strings. As an
expanding ``IN (?, ?, ...)`` each statement rendered and bound one parameter per principal
(30 % of a home page's time at that scale, measured with bench/profile_page.py) and could not
be kept compiled. Here the set travels as one value: a JSON array read with ``json_each`` on
SQLite, an array compared with ``= ANY`` on PostgreSQL. The statement compiles once and stays
in SQLAlchemy's cache; the database builds the set in C. Used for the audience and plugin of
``visible()`` and for what a reader follows (people, tags) in streams.

On PostgreSQL a set of more than :data:`LARGE_SET` values is compared with an expression of
the column (``column || ''``, ``column + 0``) rather than the column itself. The planner
estimates ``column = ANY(array)`` element by element against the column's most common values:
for a reader's ~2,270 principals that was 10-14 ms of planning a statement, for statements
that then ran in under a millisecond (`bench/profile_page.py --statements`, the home page at
1,000,000 activities: three of them, 45 ms of its 68). With no statistics for the expression,
planning takes under a millisecond and the planner takes nearly every row to pass, which is
the truth for sets this large (a reader's public spaces, a thousand followed people): it walks
the newest-first index and stops at the page's LIMIT. The same trade as ``visible(...,
indexed=False)``: no index on the column serves such a comparison. A set marked ``indexed``
(a batch of keys to look up: a ranking round's people) keeps the column whatever its size:
wrapped, who knows' rounds read every row of the topic (5.7 -> 3.6 ms a round at 100,000
activities, more as the topic grows).

Such a statement is never prepared (:func:`compares_large_set`, checked by the engine before
each statement). Read sessions keep what psycopg prepares (``rse_core.db``), and PostgreSQL
may then plan a prepared statement generically, with the array a parameter it cannot hash:
each row searches it from end to end. For a reader's own 20 spaces that is nothing; for the
500 of a reader in 500 spaces, who knows' evidence took 8.5 ms instead of 2.5
(docs/performance.md). A statement built for a large set is always planned with its values.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sized
from functools import cached_property
from typing import Any

from sqlalchemy import Boolean, Integer, String, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator, TypeEngine

#: Above this many values PostgreSQL compares an expression of the column (module docstring).
LARGE_SET = 100


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
            return array_text(value)
        cached = getattr(value, "as_json", None)  # a ReadScope keeps its JSON
        return cached if isinstance(cached, str) else as_json(value)

    def bind_processor(self, dialect: Any) -> Any:
        if dialect.name != "postgresql":
            return super().bind_processor(dialect)
        # The array's text goes as it is (the statement casts it): the ARRAY type's own
        # processor would take the string for a list of characters.
        return lambda value: self.process_bind_param(value, dialect)


def as_json(values: Iterable[Any]) -> str:
    """The JSON array ``json_each`` reads (sorted, so equal sets give equal text)."""
    return json.dumps(sorted(values), separators=(",", ":"))


def as_array(values: Iterable[Any]) -> str:
    """PostgreSQL's text form of an array (``{"a","b"}``), sorted, which the statement casts to
    an array: psycopg adapts a list value by value in Python (a regular expression per
    string, ~1.5 ms a statement for 2,270 principals), the server parses this in C."""
    quoted = ('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in sorted(values))
    return "{" + ",".join(quoted) + "}"


def array_text(values: Iterable[Any]) -> str:
    """:func:`as_array` of ``values``, or the text a ``ReadScope`` keeps."""
    cached = getattr(values, "as_array", None)
    return cached if isinstance(cached, str) else as_array(values)


class KeptSet(frozenset[Any]):
    """A set that keeps its JSON and array text once made: a set bound in many statements of a
    page (a reader's principals, their own spaces, their plugins) is serialised once."""

    @cached_property
    def as_json(self) -> str:
        """The JSON array ``json_each`` reads."""
        return as_json(self)

    @cached_property
    def as_array(self) -> str:
        """PostgreSQL's text of the array, which the statement casts."""
        return as_array(self)


def large_set(values: Sized) -> bool:
    """Whether ``values`` are many enough for PostgreSQL to be asked differently (the module
    docstring): the ``large`` of an :func:`in_set` on a :func:`set_parameter`, which a
    statement built once must know to be built for a set of this size."""
    return len(values) > LARGE_SET


def set_form(values: Sized) -> bool | None:
    """What a statement built once for a set that may be absent needs to know of it: None
    for no values (the condition is left out), else whether they are many
    (:func:`large_set`, ``in_set``'s ``large``)."""
    return large_set(values) if len(values) else None


def set_parameter(name: str, *, integers: bool = False) -> BindParameter[Any]:
    """A named parameter holding a set, for :func:`in_set` in a statement built once and run
    with its values (``session.execute(statement, {name: values})``)."""
    return bindparam(name, type_=ValueSet(integers))


class InSet(ColumnElement[bool]):
    """``expression IN values``: see the module's docstring."""

    __visit_name__ = "in_set"
    inherit_cache = True
    type = Boolean()
    _traverse_internals = [
        ("target", InternalTraversal.dp_clauseelement),
        ("values", InternalTraversal.dp_clauseelement),
        ("large", InternalTraversal.dp_boolean),
        ("integers", InternalTraversal.dp_boolean),
        ("indexed", InternalTraversal.dp_boolean),
    ]

    def __init__(
        self,
        target: ColumnElement[Any],
        values: Iterable[Any] | BindParameter[Any],
        integers: bool,
        large: bool | None = None,
        indexed: bool = False,
    ) -> None:
        self.target = target
        self.integers = integers
        self.indexed = indexed
        if isinstance(values, BindParameter):  # a statement built once: its size is told
            self.values = values
            self.large = bool(large)
            return
        if not isinstance(values, (set, frozenset, list, tuple)):
            values = list(values)
        self.values = bindparam(None, values, type_=ValueSet(integers))
        self.large = len(values) > LARGE_SET if large is None else large

    def self_group(self, against: Any = None) -> ColumnElement[Any]:
        """Itself when ``indexed``: SQLAlchemy writes a Boolean element in AND/OR as
        ``(...) = 1`` on SQLite, which no index serves (see :func:`in_set`)."""
        if self.indexed:
            return self
        return super().self_group(against)


#: How a column compared with a large set ends on PostgreSQL, strings then integers: an
#: expression the planner has no statistics for (module docstring).
_UNPLANNED_ENDS = (" || '')", " + 0)")
_LARGE_SET_MARKERS = tuple(f"{end} = ANY(" for end in _UNPLANNED_ENDS)


def _unplanned(column: str, integers: bool) -> str:
    """``column`` as the expression a large set is compared with."""
    return f"({column}{_UNPLANNED_ENDS[integers]}"


@compiles(InSet, "sqlite")
def _in_set_sqlite(element: InSet, compiler: Any, **kw: Any) -> str:
    target = compiler.process(element.target, **kw)
    values = compiler.process(element.values, **kw)
    return f"{target} IN (SELECT value FROM json_each({values}))"


@compiles(InSet)
def _in_set_array(element: InSet, compiler: Any, **kw: Any) -> str:
    target = compiler.process(element.target, **kw)
    if element.large and not element.indexed:  # no statistics for the planner to read
        target = _unplanned(target, element.integers)
    return f"{target} = ANY({compiler.process(element.values, **kw)})"


def compares_large_set(statement: str) -> bool:
    """Whether a PostgreSQL statement compares a column with more than :data:`LARGE_SET`
    values row by row, in the form :func:`in_set` and :func:`array_sql` write for them: such
    a statement is executed unprepared (module docstring)."""
    return any(marker in statement for marker in _LARGE_SET_MARKERS)


def array_sql(column: str, size: int) -> str:
    """``column = ANY(:name)``'s left side for a hand-written PostgreSQL statement comparing
    ``column`` with a set of ``size`` strings, by the rule of :class:`InSet`."""
    return _unplanned(column, integers=False) if size > LARGE_SET else column


def in_set(
    target: ColumnElement[Any],
    values: Iterable[Any] | BindParameter[Any],
    *,
    integers: bool = False,
    large: bool | None = None,
    indexed: bool = False,
) -> InSet:
    """``target`` (a column, or an expression of one) among ``values``: strings, or with
    ``integers`` integers. ``values`` may be a :func:`set_parameter` of a statement built
    once; ``large`` then says whether the sets it will be run with have more than
    :data:`LARGE_SET` values (the form PostgreSQL plans them with differs: module docstring).

    By default SQLite checks the set row by row on whatever walk it chose (the statement says
    ``(... IN ...) = 1``, which no index serves): what a visibility filter wants, since
    SQLite would otherwise start from the audience index and sort every visible row (the
    praise wall at 10,000,000 activities: 1.8 s). With ``indexed`` the values may be looked up
    through the column's index: for a batch of keys (the people of a ranking round: 30 ms
    -> 4 ms at that size). PostgreSQL plans both alike."""
    return InSet(target, values, integers, large, indexed)
