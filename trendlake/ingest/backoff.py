"""Exponential backoff with full jitter and a cap, for reconnecting to a relay.

Full jitter (a uniform draw in [0, min(cap, base * 2**n)]) spreads reconnects of many clients
after a relay restart instead of having them all retry in lockstep.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    base: float = 0.5
    cap: float = 60.0
    attempts: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next_delay(self) -> float:
        """The delay before the next attempt; each call doubles the ceiling, up to the cap."""
        ceiling = min(self.cap, self.base * (2 ** min(self.attempts, 30)))
        self.attempts += 1
        return self.rng.uniform(0, ceiling)

    def reset(self) -> None:
        """A connection that delivered data is healthy: start the next failure from scratch."""
        self.attempts = 0
