"""The web layer: templating, request context, gated routing, core pages and API."""

from starlette.convertors import IntegerConvertor, register_url_convertor

#: The largest id an ``Integer`` column holds (PostgreSQL's is 32 bits).
MAX_ID = 2**31 - 1


def parse_id(raw: object) -> int | None:
    """An id from text a person, a form or a query string sent: ASCII digits naming at most
    ``MAX_ID``, else None. (``str.isdigit`` alone accepts "²", which ``int`` refuses.)"""
    if not isinstance(raw, str) or not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    number = int(raw)
    return number if number <= MAX_ID else None


class IdConvertor(IntegerConvertor):
    """``{name:int}`` in every route: a number too large for an id names nothing (0, so the
    route answers 404) instead of reaching the database, where PostgreSQL would refuse it."""

    def convert(self, value: str) -> int:
        number = int(value)
        return number if number <= MAX_ID else 0


# Before any route is compiled: routes read the convertors when they are made.
register_url_convertor("int", IdConvertor())
