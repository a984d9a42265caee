"""Per-client rate limits for public routes: keyed token buckets (pure: time passed in)."""

from __future__ import annotations

import ipaddress
import math
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """`burst` requests at once, then one more every `60 / per_minute` seconds."""

    burst: int
    per_minute: float

    def __post_init__(self) -> None:
        if self.burst < 1 or self.per_minute <= 0:
            raise ValueError("a rate needs a burst of at least 1 and a positive refill")

    @property
    def per_second(self) -> float:
        return self.per_minute / 60.0


# How many clients are remembered. A client forgotten had the least recent request; at worst it
# gets a fresh burst, so the table bounds memory under a flood from many addresses and costs
# each of them at most one extra burst.
MAX_CLIENTS = 10_000


class TokenBuckets:
    """One token bucket per key. `take` spends `cost` tokens if the key has them.

    A bucket refills at `rate.per_second` up to `rate.burst`; a key never seen (or forgotten)
    starts full. Callers pass a monotonic `now` that never goes backwards.
    """

    def __init__(self, rate: Rate, *, max_keys: int = MAX_CLIENTS) -> None:
        if max_keys < 1:
            raise ValueError("the table must hold at least one key")
        self.rate = rate
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, at

    def __len__(self) -> int:
        return len(self._buckets)

    def tokens(self, key: str, now: float) -> float:
        """What `key` could spend at `now`."""
        held = self._buckets.get(key)
        if held is None:
            return float(self.rate.burst)
        tokens, at = held
        return min(float(self.rate.burst), tokens + max(0.0, now - at) * self.rate.per_second)

    def take(self, key: str, now: float, cost: float = 1.0) -> float:
        """Spend `cost` tokens of `key` and return 0.0; or, when it has too few, spend nothing
        and return the seconds until it will have them."""
        tokens = self.tokens(key, now)
        if tokens >= cost:
            self._keep(key, tokens - cost, now)
            return 0.0
        self._keep(key, tokens, now)
        if cost > self.rate.burst:
            return math.inf  # never: more than a full bucket
        return (cost - tokens) / self.rate.per_second

    def _keep(self, key: str, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)  # the least recently seen key


def retry_after(wait: float) -> str:
    """A `Retry-After` header value: whole seconds, at least 1 (HTTP allows no fractions)."""
    return str(max(1, math.ceil(wait))) if math.isfinite(wait) else "3600"


def client_key(remote: str | None) -> str:
    """Whom a request is counted against: its IPv4 address, or its IPv6 /64 (one host, or one
    home or office network, usually holds a whole /64 and can pick any address in it).
    IPv4-mapped IPv6 addresses count as the IPv4 address. Anything else is used as given."""
    if not remote:
        return "?"
    try:
        address = ipaddress.ip_address(remote.split("%", 1)[0])
    except ValueError:
        return remote
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
