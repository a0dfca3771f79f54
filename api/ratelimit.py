"""Failed authentications per client address: beyond a limit within a window, 429 with Retry-After.

Only failures are counted, and only once a key was presented and refused: a request with a valid key never
touches the limiter (no lock, no lookup, no delay), also from an address that is over its limit, so that one
misconfigured client behind a shared address (NAT, proxy) does not lock its neighbours out. Keys carry 256
random bits, so guessing is not the threat; the limit tells a misbehaving client to stop, and bounds what it
costs the service and its logs. The counts live in the worker process (a worker's limit is its own)."""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Callable

__all__ = ["FailedAuthLimiter"]


class FailedAuthLimiter:
    """At most `limit` failed authentications per client address in a fixed window of `window` seconds
    (the window starts at the first failure). Remembers at most `max_clients` addresses, the least recently
    failing forgotten first."""

    def __init__(self, limit: int, window: float, *, max_clients: int = 100_000,
                 clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self._clock = clock
        self._failures: collections.OrderedDict[str, tuple[float, int]] = collections.OrderedDict()
        self._lock = threading.Lock()

    def failed(self, client: str) -> int:
        """Count one failure of `client`; 0 while within the limit, else the seconds to wait (Retry-After)."""
        now = self._clock()
        with self._lock:
            start, count = self._failures.pop(client, (now, 0))
            if now - start >= self.window:
                start, count = now, 0
            count += 1
            self._failures[client] = (start, count)
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)
        if count <= self.limit:
            return 0
        return max(1, math.ceil(start + self.window - now))
