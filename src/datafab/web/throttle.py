"""Login throttling: after a few failed attempts for one account, or many from one address,
further attempts are refused for a while. Counted per process, in memory, on the foundry's
clock (so tests can move time)."""

from __future__ import annotations

import math
from collections import defaultdict, deque

from datafab.errors import RateLimited

WINDOW_SECONDS = 300.0
PER_ACCOUNT = 5
PER_ADDRESS = 30


class LoginThrottle:
    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str, now: float) -> deque[float]:
        seen = self._failures[key]
        while seen and seen[0] <= now - WINDOW_SECONDS:
            seen.popleft()
        return seen

    def check(self, account: str, address: str, now: float) -> None:
        """Refuse (``RateLimited``) while either key has too many recent failures."""
        keys = ((f"account:{account}", PER_ACCOUNT), (f"address:{address}", PER_ADDRESS))
        for key, limit in keys:
            seen = self._recent(key, now)
            if len(seen) >= limit:
                wait = max(1, math.ceil(seen[0] + WINDOW_SECONDS - now))
                raise RateLimited(
                    f"Too many failed attempts. Try again in {_minutes(wait)}.",
                    retry_after=wait, field="password",
                )

    def failed(self, account: str, address: str, now: float) -> None:
        if len(self._failures) > 100_000:
            self._failures.clear()
        for key in (f"account:{account}", f"address:{address}"):
            self._recent(key, now).append(now)

    def succeeded(self, account: str) -> None:
        self._failures.pop(f"account:{account}", None)


def _minutes(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"
