"""Django's PostgreSQL backend with a deadline of its own on every answer it waits for.

A frozen server (SIGSTOP, a stalled disk, a hypervisor pause) still completes TCP in the kernel, so keepalives
see a live peer and its own `statement_timeout` never fires: without a deadline on our side a request waits
until gunicorn kills the worker. With one, the wait ends in an OperationalError, which the middleware turns
into the Persian 503 page, the same as for a server that is down.
"""

from contextlib import contextmanager

import psycopg
from django.db.backends.postgresql import base
from psycopg import errors

# Set in OPTIONS by the settings; not a libpq parameter, so it is taken out before connecting.
ANSWER_TIMEOUT_OPTION = "answer_timeout"


class DeadlineConnection(psycopg.Connection):
    """A psycopg connection whose every wait for the server ends after `answer_timeout` seconds."""

    answer_timeout: float | None = None

    def wait(self, gen, interval=psycopg.connection._WAIT_INTERVAL, timeout=None):
        if timeout is not None or not self.answer_timeout:
            return super().wait(gen, interval=interval, timeout=timeout)
        try:
            return super().wait(gen, interval=interval, timeout=self.answer_timeout)
        except errors._WaitTimeout:
            # The protocol stopped half-way: nothing more can be read from this connection. Close it, so that
            # the rollback and health check that follow fail at once instead of waiting again.
            self.pgconn.finish()
            raise errors.OperationalError(
                f"the database server did not answer within {self.answer_timeout:g} s"
            ) from None

    @contextmanager
    def answering_within(self, seconds: float | None):
        previous, self.answer_timeout = self.answer_timeout, seconds
        try:
            yield
        finally:
            self.answer_timeout = previous


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        params.pop(ANSWER_TIMEOUT_OPTION, None)
        return params

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        # Same object layout, one method more careful: psycopg.connect() offers no way to name the class.
        connection.__class__ = DeadlineConnection
        connection.answer_timeout = self.settings_dict["OPTIONS"].get(ANSWER_TIMEOUT_OPTION)
        return connection

    def is_usable(self):
        if self.connection is None:
            return False
        # The health check before reusing a connection is a `SELECT 1`: a server that needs longer than a new
        # connection may take is not answering, and waiting the whole statement deadline would only delay the 503.
        with self.connection.answering_within(self.settings_dict["OPTIONS"].get("connect_timeout") or None):
            return super().is_usable()
