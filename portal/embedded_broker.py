"""The embedded broker: kombu's SQLAlchemy transport on one SQLite file, for running without Redis.

A module of its own so that SQLAlchemy is imported only where this broker is in use: kombu loads it through the
`embedded` transport alias that portal.celery registers."""

from json import loads
from queue import Empty

from kombu.transport import sqlalchemy as kombu_sqlalchemy
from kombu.utils.encoding import bytes_to_str
from sqlalchemy import create_engine, event, text

# Options of the embedded broker that are SQLAlchemy's create_engine arguments; kombu passes every transport
# option to create_engine, its own polling_interval included, which create_engine refuses.
ENGINE_OPTIONS = {"connect_args", "pool_size", "max_overflow", "pool_recycle", "echo"}


class EmbeddedChannel(kombu_sqlalchemy.Channel):
    """kombu's SQLAlchemy channel on one SQLite file, for running without Redis.

    A message is claimed and deleted in one `BEGIN IMMEDIATE` transaction, so two consumers never take the same
    message and none reads one half-written. kombu only hides a claimed row and never removes it; deleting it
    instead keeps the table as short as the queue (a message a worker held when it died is re-sent by kombu's
    restore on a clean stop, or by the sweeper after a crash).
    """

    def _engine_from_config(self):
        options = self.connection.client.transport_options
        engine_options = {key: value for key, value in options.items() if key in ENGINE_OPTIONS}
        engine = create_engine(self.connection.client.hostname, **engine_options)

        @event.listens_for(engine, "connect")
        def _wal_and_patience(dbapi_connection, connection_record):
            # WAL lets polling workers read while a publisher writes; the busy timeout makes a writer wait for
            # the lock instead of failing with "database is locked".
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine

    def _get(self, queue):
        obj = self._get_or_create(queue)
        self.session.execute(text("BEGIN IMMEDIATE TRANSACTION"))
        try:
            message = (
                self.session.query(self.message_cls)
                .filter(self.message_cls.queue_id == obj.id)
                .filter(self.message_cls.visible.is_(True))
                .order_by(self.message_cls.sent_at, self.message_cls.id)
                .first()
            )
            if message is None:
                raise Empty()
            payload = loads(bytes_to_str(message.payload))
            self.session.delete(message)
            return payload
        finally:
            self.session.commit()


class EmbeddedTransport(kombu_sqlalchemy.Transport):
    Channel = EmbeddedChannel
    # Seconds between polls of an empty queue: the time a task may wait before a worker sees it.
    polling_interval = 0.1
