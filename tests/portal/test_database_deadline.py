"""Statements have limits on PostgreSQL: the server cancels a web statement past DATABASE_STATEMENT_TIMEOUT_MS,
and the client gives up on a server that does not answer at all (tests/faults/test_database_frozen.py freezes
one for real)."""

import json
import os
import subprocess
import sys

import pytest
from django.db import OperationalError, connection

from portal.db.base import DatabaseWrapper
from tests.faults.conftest import ROOT


def settings_seen_by(entry_point: str) -> dict:
    """The database settings of a new process that starts the way `entry_point` (a module) is started."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE", "HAMANDISHI_PROCESS"))}
    env.update(
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/hamandishi",
        DJANGO_DEBUG="true",
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    code = f"import {entry_point}; import django; django.setup(); from django.conf import settings; import json; "
    code += "print(json.dumps(settings.DATABASES['default']))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_web_statements_get_a_time_limit_and_a_client_deadline_a_second_longer():
    # Through the module gunicorn loads, so that nothing imported before it can read the settings too early.
    database = settings_seen_by("portal.wsgi")
    assert database["ENGINE"] == "portal.db"
    assert database["OPTIONS"]["options"] == "-c statement_timeout=5000"
    assert database["OPTIONS"]["answer_timeout"] == 6
    assert database["OPTIONS"]["keepalives"] == 1


def test_workers_and_commands_keep_long_statements_by_default():
    database = settings_seen_by("portal.celery")
    assert database["OPTIONS"]["options"] == "-c statement_timeout=0"
    assert database["OPTIONS"]["answer_timeout"] is None


def probe(db, **options) -> DatabaseWrapper:
    """A second connection to the test database with other limits, as another process would have."""
    settings_dict = {**connection.settings_dict, "OPTIONS": {**connection.settings_dict["OPTIONS"], **options}}
    return DatabaseWrapper(settings_dict, alias="deadline_probe")


@pytest.mark.postgres
def test_a_statement_past_its_limit_is_cancelled_by_the_server_and_the_connection_lives_on(db):
    wrapper = probe(db, options="-c statement_timeout=200", answer_timeout=30)
    try:
        with wrapper.cursor() as cursor:
            with pytest.raises(OperationalError, match="statement timeout"):
                cursor.execute("SELECT pg_sleep(5)")
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
    finally:
        wrapper.close()


@pytest.mark.postgres
def test_a_server_that_does_not_answer_in_time_is_given_up_by_the_client_and_the_connection_closed(db):
    wrapper = probe(db, options="-c statement_timeout=0", answer_timeout=0.5)
    try:
        with wrapper.cursor() as cursor, pytest.raises(OperationalError, match="did not answer within 0.5 s"):
            cursor.execute("SELECT pg_sleep(2)")
        assert not wrapper.is_usable()
    finally:
        wrapper.close()
