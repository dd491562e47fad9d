"""The web layer: templating, request context, gated routing, core pages and API."""

from starlette.convertors import IntegerConvertor, register_url_convertor

#: The largest id an ``Integer`` column holds (PostgreSQL's is 32 bits).
MAX_ID = 2**31 - 1


class IdConvertor(IntegerConvertor):
    """``{name:int}`` in every route: a number too large for an id names nothing (0, so the
    route answers 404) instead of reaching the database, where PostgreSQL would refuse it."""

    def convert(self, value: str) -> int:
        number = int(value)
        return number if number <= MAX_ID else 0


# Before any route is compiled: routes read the convertors when they are made.
register_url_convertor("int", IdConvertor())
