"""Fault tests: a broker, Stripe or the database failing under the application.

Nothing here stops or restarts the real PostgreSQL or Redis (other people use
them): an outage is a closed port, or an error injected where the call is made.
"""

import os
import socket
import threading
import time
import urllib.parse

import pytest

REDIS_ENV = "CELERY_BROKER_URL"


def closed_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HangingServer:
    """A local port that accepts connections and never answers: a Redis or a Stripe that hangs.

    It holds each connection up to `hold_seconds`, then drops it; `given_up` counts
    the connections the client closed first, so a test sees whether the client's
    own timeout ended the wait, without timing anything.
    """

    def __init__(self, *, hold_seconds: float = 10.0):
        self.hold_seconds = hold_seconds
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.http_url = f"http://127.0.0.1:{self.port}"
        self._held: list[socket.socket] = []
        self.given_up = 0
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def connections(self) -> int:
        """How many times a client tried it."""
        return len(self._held)

    def hang_ups(self, *, expected: int, within: float = 5.0) -> int:
        """`given_up`, once `expected` hang-ups arrived: they reach the holding threads just after the client moves on."""
        deadline = time.monotonic() + within
        while self.given_up < expected and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.given_up

    def _accept(self) -> None:
        while True:
            try:
                connection, _address = self._listener.accept()
            except OSError:  # closed at teardown
                return
            self._held.append(connection)
            threading.Thread(target=self._hold, args=(connection,), daemon=True).start()

    def _hold(self, connection: socket.socket) -> None:
        connection.settimeout(self.hold_seconds)
        try:
            while connection.recv(65536):
                pass  # whatever the client says goes unanswered
            self.given_up += 1  # end of stream: the client hung up first
        except OSError:  # our hold ran out, or teardown closed it
            pass
        finally:
            connection.close()

    def close(self) -> None:
        self._listener.close()
        for connection in self._held:
            connection.close()


@pytest.fixture
def hanging_redis():
    server = HangingServer()
    yield server
    server.close()


def redis_url_or_skip() -> str:
    url = os.environ.get(REDIS_ENV, "")
    if not url.startswith(("redis://", "rediss://")):
        pytest.skip(f"needs Redis: set {REDIS_ENV}=redis://127.0.0.1:6379/0 (as CI does)")
    parts = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1):
            pass
    except OSError as error:
        pytest.skip(f"Redis at {REDIS_ENV} is not reachable ({error})")
    return url


def _reset_broker_connections(app) -> None:
    # The app keeps a connection pool and a producer pool for the broker it first used.
    # Only dropped, never closed: kombu registers them globally, per broker address,
    # and a closed one would be found again by the next test using that address.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down(monkeypatch):
    """Celery as in production (not eager), with its broker on a port where nothing answers."""
    from config.celery import app

    # Celery reads CELERY_BROKER_URL from the environment before its own setting (CI sets it).
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    dead = f"redis://127.0.0.1:{closed_port()}/0"
    app.conf.broker_url = dead
    app.conf.task_always_eager = False
    _reset_broker_connections(app)
    assert app.conf.broker_url == dead
    try:
        yield app
    finally:
        app.conf.update(saved)
        _reset_broker_connections(app)


@pytest.fixture
def live_campaign(cooperative, teacher):
    from tests import factories
    from trousse.campaigns.models import Status

    return factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE)
