"""URL converters: ids are positive integers that fit PostgreSQL's `integer`."""

from werkzeug.routing import IntegerConverter

MAX_DATABASE_ID = 2**31 - 1


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` that refuses numbers the database could not hold (a 404, never a 500)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_DATABASE_ID)
        super().__init__(url_map, *args, **kwargs)
