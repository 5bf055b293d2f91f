"""The connection health check (config/postgresql): a dropped connection is replaced
before a request uses it, and a healthy one is checked without a round trip."""

import time

import pytest
from django.db import connection, connections

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def reused_connection():
    """A second connection to the test database, as a web process keeps one between requests."""
    wrapper = connections.create_connection("default")
    wrapper.settings_dict = {**wrapper.settings_dict, "CONN_HEALTH_CHECKS": True, "CONN_MAX_AGE": 60}
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def _next_request(wrapper) -> None:
    # What Django does between two requests (the request_started/finished signals).
    wrapper.close_if_unusable_or_obsolete()


def _backend_pid(wrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _terminate(pid: int, wrapper) -> None:
    """Drop the connection from the server's side, as a PostgreSQL restart does, and wait until the socket says so."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while wrapper.is_usable() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_the_first_query_after_the_server_dropped_the_connection_succeeds_on_a_new_one(reused_connection):
    old_pid = _backend_pid(reused_connection)
    _next_request(reused_connection)
    _terminate(old_pid, reused_connection)

    _next_request(reused_connection)
    # Without the check, this query would fail on the dead socket (a 503 for the visitor).
    assert _backend_pid(reused_connection) != old_pid


def test_a_healthy_idle_connection_is_checked_without_asking_the_server(reused_connection, monkeypatch):
    _backend_pid(reused_connection)

    def no_query(*args, **kwargs):
        raise AssertionError("the health check sent a query")

    monkeypatch.setattr(reused_connection.connection, "cursor", no_query)
    monkeypatch.setattr(reused_connection.connection, "execute", no_query)
    assert reused_connection.is_usable()


def test_a_connection_left_in_a_failed_transaction_is_replaced(reused_connection):
    # Its socket is quiet, yet every query on it would fail: the server is asked (SELECT 1).
    import psycopg

    raw = reused_connection.connection
    raw.autocommit = False
    with pytest.raises(psycopg.errors.DivisionByZero):
        raw.execute("SELECT 1/0")
    assert not reused_connection.is_usable()


def test_a_connection_with_something_unexpected_to_read_is_asked_before_it_is_dropped(reused_connection):
    # A notification arrives on an idle, healthy connection: its socket is readable, yet
    # replacing it would cost a reconnection for nothing. The server's answer decides.
    pid = _backend_pid(reused_connection)
    reused_connection.connection.execute("LISTEN trousse_health_check_test")
    with connection.cursor() as cursor:
        cursor.execute("NOTIFY trousse_health_check_test")
    deadline = time.monotonic() + 5
    while not _readable(reused_connection) and time.monotonic() < deadline:
        time.sleep(0.01)

    _next_request(reused_connection)
    assert _backend_pid(reused_connection) == pid


def _readable(wrapper) -> bool:
    from config.postgresql.base import _has_something_to_read

    return _has_something_to_read(wrapper.connection.fileno())
