"""Django's PostgreSQL backend, whose health check asks the socket instead of the server.

With CONN_HEALTH_CHECKS, Django checks a reused connection before each request's
first query with `SELECT 1`: one more round trip on every request. Under load
that round trip cost the uncached campaign page and the webhook about a fifth
of their throughput.

A connection the server has dropped (a restart, `pg_terminate_backend`, an idle
timeout, PgBouncer closing it) announces it: the server writes its FATAL
message and closes the socket, which becomes readable. An idle connection in
good health has nothing to read, since PostgreSQL speaks only when spoken to.
So a readable socket between requests means "reconnect", found by a poll()
with no wait, as urllib3 checks its own kept-alive connections. A connection
cut without a word (a network partition) is not found this way, but `SELECT 1`
would hang on it just the same.

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
            return not _has_something_to_read(connection.fileno())
        except (OSError, ValueError):
            return False
