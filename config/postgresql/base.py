"""Django's PostgreSQL backend, whose health check asks the socket before the server.

With CONN_HEALTH_CHECKS, Django checks a reused connection before each request's
first query with `SELECT 1`: one more round trip on every request, with its
wake-ups of the web process and of PostgreSQL on a busy machine.

A connection the server has dropped (a restart, `pg_terminate_backend`, an idle
timeout, PgBouncer closing it) announces it: the server writes its FATAL
message and closes the socket, which becomes readable. An idle connection in
good health has nothing to read, since PostgreSQL speaks only when spoken to.
So only a readable socket between requests, found by a poll() with no wait (as
urllib3 checks its kept-alive connections), is worth Django's `SELECT 1`. A
connection cut without a word (a network partition) is not found this way,
but `SELECT 1` would hang on it just the same.

Anywhere else (inside a transaction, after an error) the check stays Django's.
"""

import select

from django.db.backends.postgresql import base
from psycopg import pq


def _has_something_to_read(fileno: int) -> bool:
    poller = select.poll()
    # POLLHUP and POLLERR are always reported.
    poller.register(fileno, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed:
            return False
        if connection.info.transaction_status != pq.TransactionStatus.IDLE or not hasattr(select, "poll"):
            return super().is_usable()
        try:
            quiet = not _has_something_to_read(connection.fileno())
        except (OSError, ValueError):
            return False
        # Something to read: most likely the server's goodbye, which Django's SELECT 1 then
        # reads and fails on. Were it anything else, that query proves the connection good.
        return quiet or super().is_usable()
