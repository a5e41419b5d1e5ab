"""Statements written out in SQL, for the paths that run once per analysis on a worker (the reads of the engine's
index, a join, a placement): a queryset built and compiled for each cost more of a worker's CPU than the statement
itself. What `pipeline` and `grouping` both use to write them."""

from django.db import connection


def marks(values) -> str:
    """One placeholder per value, for an IN (...) list."""
    return ", ".join(["%s"] * len(values))


def rows(sql: str, params) -> list[tuple]:
    """The rows of one statement. A queryset built and compiled for each of an analysis's reads costs about 0.4 ms
    of a worker's CPU, the statement itself under 0.1 ms."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def locking(*, of: str | None = None, no_key: bool = False) -> str:
    """The end of a SELECT that locks the rows it reads, as `select_for_update` writes it on this database (nothing
    where it has no row locks, as SQLite): FOR NO KEY UPDATE with `no_key` where the database has it, OF the table
    or alias `of` where it takes one."""
    features = connection.features
    if not features.has_select_for_update:
        return ""
    clause = " FOR NO KEY UPDATE" if no_key and features.has_select_for_no_key_update else " FOR UPDATE"
    return f"{clause} OF {of}" if of and features.has_select_for_update_of else clause


def as_read_by_the_orm(fields, found) -> list[list]:
    """Rows of a statement written out in SQL, each value but the last ones converted as the ORM converts its
    field's (`fields`, one per leading column): SQLite gives a moment as a time without its zone, a flag as 0 or 1."""
    converters = []
    for at, field in enumerate(fields):
        column = field.get_col(field.model._meta.db_table)
        for converter in connection.ops.get_db_converters(column) + column.get_db_converters(connection):
            converters.append((at, converter, column))
    converted = []
    for row in found:
        row = list(row)
        for at, converter, column in converters:
            row[at] = converter(row[at], column, connection)
        converted.append(row)
    return converted
