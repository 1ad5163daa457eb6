"""Login throttling: a progressive delay, never a lock.

Failures are counted per (account, address) pair and per address. A few failures are free;
after them each further attempt from that pair (or address) must wait, and the wait doubles
with every failure up to a ceiling. A failure that is older than ``FORGET_SECONDS`` is
forgotten.

Counting by pair, not by account alone, is what keeps one person from locking another out:
failures typed for someone's email from one address never slow that person down at their own
address. The address is the connection's, or the one a named reverse proxy forwards
(``DATAFAB_TRUSTED_PROXIES``); a forwarded header from anyone else is not believed, so it
cannot be used to spread guesses over made-up addresses.

Counted per process, in memory, on the foundry's clock (so tests can move time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from datafab.errors import RateLimited

FREE_PER_PAIR = 5  # failures for one account from one address before any wait
FREE_PER_ADDRESS = 30  # failures from one address, over all accounts
FIRST_WAIT = 1.0  # seconds; doubles with each further failure
MAX_WAIT = 300.0
FORGET_SECONDS = 900.0
MAX_KEYS = 100_000


@dataclass
class _Failures:
    count: int
    last: float


class LoginThrottle:
    def __init__(self) -> None:
        self._failures: dict[str, _Failures] = {}

    def _wait(self, key: str, free: int, now: float) -> float:
        seen = self._failures.get(key)
        if seen is None:
            return 0.0
        if seen.last <= now - FORGET_SECONDS:
            del self._failures[key]
            return 0.0
        if seen.count < free:
            return 0.0
        wait = min(MAX_WAIT, FIRST_WAIT * 2.0 ** (seen.count - free))
        return max(0.0, seen.last + wait - now)

    def _keys(self, account: str, address: str) -> tuple[tuple[str, int], ...]:
        return ((f"pair:{address}\n{account}", FREE_PER_PAIR),
                (f"address:{address}", FREE_PER_ADDRESS))

    def check(self, account: str, address: str, now: float) -> None:
        """Refuse (``RateLimited``, with the seconds to wait) while this account from this
        address, or this address, must still wait after its last failure."""
        wait = max(self._wait(key, free, now) for key, free in self._keys(account, address))
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise RateLimited(
                f"Too many failed attempts. Try again in {_minutes(seconds)}.",
                retry_after=seconds, field="password",
            )

    def failed(self, account: str, address: str, now: float) -> None:
        if len(self._failures) > MAX_KEYS:
            self._failures = {k: v for k, v in self._failures.items()
                              if v.last > now - FORGET_SECONDS}
            if len(self._failures) > MAX_KEYS:
                self._failures.clear()
        for key, _free in self._keys(account, address):
            seen = self._failures.get(key)
            if seen is None or seen.last <= now - FORGET_SECONDS:
                self._failures[key] = _Failures(1, now)
            else:
                seen.count += 1
                seen.last = now

    def succeeded(self, account: str, address: str) -> None:
        self._failures.pop(self._keys(account, address)[0][0], None)


def _minutes(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"
