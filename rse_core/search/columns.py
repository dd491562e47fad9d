"""A whoosh column holding each document's audience, kind or space, read as one array.

Search filters and counts by these three fields for every query (``ranking.py``). Read from
the posting lists, one term at a time, they cost ~40 µs a distinct value: a second or so for a
segment of 1,000,000 documents with thousands of audiences and spaces. Whoosh's
``RefBytesColumn`` stores exactly what is needed (the distinct values once, then one small
number per document, readable as one array) but silently drops values beyond 65,535
distinct ones, fewer than a large company's personal audiences. :class:`ValueColumn` is the
same format with 4-byte numbers when needed; whoosh's own reader reads it.

The index's schema pickles this class by its path: keep the name, or old indexes stop
opening (they would then be rebuilt, see ``WhooshBackend._open``).
"""

from __future__ import annotations

from array import array
from itertools import repeat
from typing import Any

import numpy as np
from whoosh.columns import ColumnWriter, RefBytesColumn

_ARRAY_TYPES = {"B": ">u1", "H": ">u2", "I": ">u4"}


class ValueColumn(RefBytesColumn):
    """``RefBytesColumn`` without its limit of 65,535 distinct values."""

    def writer(self, dbfile: Any) -> ColumnWriter:
        return ValueColumnWriter(dbfile, self._fixedlen, self._default)


class ValueColumnWriter(ColumnWriter):
    """Buffers one number per document, then writes them in the smallest width that holds
    the number of distinct values (what ``RefBytesColumn.Reader`` reads)."""

    def __init__(self, dbfile: Any, fixedlen: int, default: bytes) -> None:
        self._dbfile = dbfile
        self._fixedlen = fixedlen
        self._refs = array("I")
        self._uniques: dict[bytes, int] = {default: 0}

    def fill(self, docnum: int) -> None:
        if docnum > len(self._refs):
            self._refs.extend(repeat(0, docnum - len(self._refs)))

    def add(self, docnum: int, value: bytes) -> None:
        self.fill(docnum)
        self._refs.append(self._uniques.setdefault(value, len(self._uniques)))

    def finish(self, doccount: int) -> None:
        self.fill(doccount)
        count = len(self._uniques)
        typecode = "B" if count <= 0x100 else "H" if count <= 0x10000 else "I"
        self._dbfile.write_array(array(typecode, self._refs))  # big-endian, as read
        RefBytesColumn.Writer._write_uniques(self, typecode)
        self._dbfile.write_byte(ord(typecode))


def read_values(reader: Any, field: str) -> tuple[tuple[str, ...], np.ndarray] | None:
    """A segment's distinct values of ``field`` and each document's value as a number (an
    index into them; 0 is ``""``), or None when the segment has no such column."""
    if not reader.has_column(field):
        return None
    column = reader.column_reader(field, translate=False)
    if not isinstance(column, RefBytesColumn.Reader) or column._typecode not in _ARRAY_TYPES:
        return None
    count = reader.doc_count_all()
    raw = column._dbfile.get(column._basepos, count * column._itemsize)
    codes = np.frombuffer(raw, dtype=_ARRAY_TYPES[column._typecode]).astype(np.int32)
    return tuple(v.decode() for v in column._uniques), codes
