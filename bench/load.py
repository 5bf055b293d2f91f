"""A small closed-loop load generator: N keep-alive clients, fixed duration, loopback only.

Each client sends its next request as soon as the previous answer is read, so the
throughput is what the server sustains at that concurrency. Clients are threads
spread over a few processes, so that the GIL of one Python process is not what we
end up measuring.
"""

from __future__ import annotations

import http.client
import math
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context

LOOPBACK = ("127.0.0.1", "localhost", "::1")
REQUEST_TIMEOUT_SECONDS = 10.0


@dataclass
class LoadResult:
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    # A few examples of what went wrong ("HTTP 500 /projets/x/", "ConnectionResetError").
    error_samples: list[str] = field(default_factory=list)

    def record_error(self, sample: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(sample)

    def merge(self, other: LoadResult) -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.seconds = max(self.seconds, other.seconds)
        self.latencies_ms.extend(other.latencies_ms)
        self.error_samples.extend(other.error_samples[: max(0, 5 - len(self.error_samples))])

    @property
    def requests_per_second(self) -> float:
        ok = self.requests - self.errors
        return ok / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float | None:
        return percentile(self.latencies_ms, q)

    def summary(self) -> dict:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "rps": round(self.requests_per_second, 1),
            "p50_ms": _round(self.percentile_ms(50)),
            "p95_ms": _round(self.percentile_ms(95)),
            "p99_ms": _round(self.percentile_ms(99)),
            "error_samples": self.error_samples,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (the value below which q % of the samples fall)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _get(connection: http.client.HTTPConnection, path: str) -> int:
    """One GET on a keep-alive connection, its body read; the status."""
    connection.request("GET", path, headers={"Accept": "text/html", "Accept-Language": "fr"})
    response = connection.getresponse()
    response.read()
    if response.will_close:
        # Sync workers close after each answer: the next request reconnects, as a browser would.
        connection.close()
    return response.status


def _client(
    host: str, port: int, paths: list[str], offset: int, deadline: float, result: LoadResult, lock: threading.Lock, limit: int | None = None
) -> None:
    """Request `paths` in turn from `offset` until `deadline` (or `limit` requests)."""
    local = LoadResult()
    connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_SECONDS)
    index = offset
    while time.monotonic() < deadline and (limit is None or local.requests < limit):
        path = paths[index % len(paths)]
        index += 1
        started = time.perf_counter()
        local.requests += 1
        try:
            status = _get(connection, path)
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            local.record_error(f"{type(error).__name__} {path}")
            continue
        local.latencies_ms.append((time.perf_counter() - started) * 1000)
        if status != 200:
            local.record_error(f"HTTP {status} {path}")
    connection.close()
    with lock:
        result.merge(local)


def _run_process(host: str, port: int, paths: list[str], clients: int, seconds: float, first_offset: int) -> LoadResult:
    result = LoadResult()
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + seconds
    threads = [
        threading.Thread(target=_client, args=(host, port, paths, first_offset + n * 7919, deadline, result, lock), daemon=True)
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        # Bounded: a client stuck on a slow answer gives up with its socket timeout.
        thread.join(seconds + REQUEST_TIMEOUT_SECONDS + 5)
    result.seconds = time.monotonic() - started
    return result


def visit_each(*, host: str, port: int, paths: list[str], clients: int = 4) -> LoadResult:
    """GET every path once from each of `clients` keep-alive connections (each from its own starting point).

    A server process keeps its own copies of the pages it served (trousse/campaigns/local_copies.py):
    with as many connections as the load uses, every process has served every page at least once.
    """
    if host not in LOOPBACK:
        raise ValueError(f"The bench only loads the loopback interface, not {host!r}.")
    result = LoadResult()
    lock = threading.Lock()
    started = time.monotonic()
    threads = [
        threading.Thread(target=_client, args=(host, port, paths, n, float("inf"), result, lock, len(paths)), daemon=True) for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    return result


def run_load(*, host: str, port: int, paths: list[str], clients: int = 16, seconds: float = 10.0, processes: int = 2) -> LoadResult:
    """GET `paths` in turn from `clients` concurrent keep-alive connections for `seconds`."""
    if host not in LOOPBACK:
        raise ValueError(f"The bench only loads the loopback interface, not {host!r}.")
    if not paths:
        raise ValueError("No path to request.")
    processes = max(1, min(processes, clients))
    shares = [clients // processes + (1 if n < clients % processes else 0) for n in range(processes)]
    total = LoadResult()
    if processes == 1:
        total.merge(_run_process(host, port, paths, shares[0], seconds, 0))
        total.seconds = seconds
        return total
    # spawn: a forked child would inherit (and on exit, close) the parent's database connection.
    with ProcessPoolExecutor(max_workers=processes, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_run_process, host, port, paths, share, seconds, n * 104729) for n, share in enumerate(shares)]
        for future in futures:
            total.merge(future.result())
    # Throughput over the window all clients shared, not the stragglers' tail.
    total.seconds = seconds
    return total
