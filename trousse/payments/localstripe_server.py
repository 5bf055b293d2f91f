"""localstripe, the fake Stripe used by `make run` and the tests, bound to loopback.

Its own command listens on every interface and pickles its state to one shared
file (/tmp/localstripe.pickle): we start its aiohttp app on 127.0.0.1 only, with
a state file per server, so two servers (two test workers, `make run` and the
tests) never read each other's objects.

    python -m trousse.payments.localstripe_server --port 8420 [--state-file PATH]
"""

from __future__ import annotations

import argparse
import os
import pickle
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Events our webhook endpoint handles (trousse.payments.services.WEBHOOK_HANDLERS).
WEBHOOK_EVENTS = [
    "payment_intent.succeeded",
    "payment_intent.processing",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "charge.refunded",
    "charge.dispute.created",
]


def serve(*, port: int, state_file: str | None = None, host: str = "127.0.0.1") -> None:
    """Run localstripe in this process until it is killed (blocking)."""
    import logging

    from aiohttp import web
    from localstripe.server import app, store

    path = Path(state_file) if state_file else None

    def dump_to_disk() -> None:
        if path is not None:
            tmp = path.with_suffix(".tmp")
            with open(tmp, "wb") as handle:
                pickle.dump(dict(store), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)

    # Instance attributes shadow the class's methods, which hard-code /tmp/localstripe.pickle.
    store.dump_to_disk = dump_to_disk
    store.try_load_from_disk = lambda: None
    store.clear()
    if path is not None and path.exists():
        try:
            with open(path, "rb") as handle:
                dict.update(store, pickle.load(handle))
        except Exception:  # a corrupt or foreign state file: start empty
            store.clear()
    logging.basicConfig(level=logging.WARNING)
    web.run_app(app, host=host, port=port, print=None, access_log=None)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def start_subprocess(*, port: int, state_file: str | None = None, timeout: float = 20.0, quiet: bool = True) -> subprocess.Popen:
    """Start localstripe in a child process and wait until it answers."""
    command = [sys.executable, "-m", "trousse.payments.localstripe_server", "--port", str(port)]
    if state_file:
        command += ["--state-file", state_file]
    output = subprocess.DEVNULL if quiet else None
    # Run from the project root so `-m trousse...` resolves whatever the caller's directory.
    process = subprocess.Popen(command, stdout=output, stderr=output, cwd=PROJECT_ROOT)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"localstripe exited at start (code {process.returncode}); is port {port} free?")
        try:
            with urllib.request.urlopen(base_url(port) + "/js.stripe.com/v3/", timeout=1):
                return process
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                stop_subprocess(process)
                raise RuntimeError(f"localstripe did not answer on port {port} within {timeout:.0f} s") from None
            time.sleep(0.1)


def stop_subprocess(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def register_webhook(*, api_base: str, url: str, secret: str, events: list[str] | None = None, webhook_id: str = "trousse") -> None:
    """Tell localstripe where to post events. Registrations vanish on restart: call at every start."""
    fields: list[tuple[str, str]] = [("url", url), ("secret", secret)]
    for event in events if events is not None else WEBHOOK_EVENTS:
        fields.append(("events[]", event))
    body = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(f"{api_base.rstrip('/')}/_config/webhooks/{webhook_id}", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        if response.status >= 300:
            raise RuntimeError(f"localstripe refused the webhook registration ({response.status})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--state-file", default=None)
    args = parser.parse_args(argv)
    serve(port=args.port, state_file=args.state_file)


if __name__ == "__main__":
    main()
