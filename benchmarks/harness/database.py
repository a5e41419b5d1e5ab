"""A throw-away database for a run: PostgreSQL dropped and created again, or a SQLite file removed.

Only a database whose name says it is a benchmark's (`bench` in the name by default) is ever dropped, so a
mistyped URL cannot empty the developer's or production's database.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path


def refuse_unsafe_database(url: str, *, marker: str = "bench", postgres_only: bool = False) -> None:
    """SystemExit unless `url` names a PostgreSQL database (or, unless `postgres_only`, a SQLite file) whose
    name contains `marker`."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.startswith("postgres"):
        name = parts.path.lstrip("/")
    elif parts.scheme == "sqlite" and not postgres_only:
        name = Path(parts.path).name
    else:
        kinds = "a PostgreSQL database" if postgres_only else "a PostgreSQL database or a SQLite file"
        raise SystemExit(f"the benchmark's database must be {kinds}, not {url!r}")
    if marker not in name:
        raise SystemExit(f"refusing database {name!r}: its name must contain {marker!r}, as this run empties it")


def pg_connect(url: str, dbname: str | None = None):
    """An autocommit psycopg connection to the database of `url` (or to `dbname` on the same server)."""
    import psycopg

    parts = urllib.parse.urlsplit(url)
    return psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=urllib.parse.unquote(parts.username or "postgres"),
        password=urllib.parse.unquote(parts.password or "") or None,
        dbname=dbname or parts.path.lstrip("/"),
        autocommit=True,
        connect_timeout=5,
    )


def recreate_database(url: str, *, marker: str = "bench") -> str:
    """An empty database at `url`, whatever was there: PostgreSQL dropped (closing its connections) and created,
    or the SQLite file and its journals removed. Returns `url`, ready for `migrate`."""
    refuse_unsafe_database(url, marker=marker)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "sqlite":
        path = Path(parts.path[1:] if parts.path.startswith("//") else parts.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        return url
    name = parts.path.lstrip("/")
    with pg_connect(url, "postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"
