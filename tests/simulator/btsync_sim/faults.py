"""Fault injection for tests, driven by command-line flags only.

Each API request that a fault may hit (all of them, or those of
``--fault-methods``) draws its faults from one random generator
(``--fault-seed`` makes the sequence repeatable), in this order:

1. ``--fault-latency-ms N``: wait N ms before anything else.
2. ``--fault-drop-rate P``: close the connection without an answer, before
   handling the request (nothing changes).
3. ``--fault-http500-rate P``: answer HTTP 500 without handling the request.
4. ``--fault-lose-response-rate P``: handle the request, then close the
   connection without an answer (the change is made, the client never hears).
5. ``--fault-malformed-rate P``: handle the request, then answer HTTP 200 with
   a truncated, invalid JSON body.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class FaultConfig:
    """The fault flags of one run."""

    latency_ms: int = 0
    drop_rate: float = 0.0
    http500_rate: float = 0.0
    lose_response_rate: float = 0.0
    malformed_rate: float = 0.0
    methods: frozenset[str] | None = None  # None: every method
    seed: int | None = None

    @property
    def active(self) -> bool:
        return bool(
            self.latency_ms or self.drop_rate or self.http500_rate or self.lose_response_rate or self.malformed_rate
        )


@dataclass(frozen=True)
class FaultDecision:
    """What happens to one request."""

    latency_s: float = 0.0
    drop: bool = False
    http500: bool = False
    lose_response: bool = False
    malformed: bool = False


NO_FAULT = FaultDecision()


class FaultInjector:
    """Draws the faults of each request; thread-safe and repeatable with a seed."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)
        self._lock = threading.Lock()

    def decide(self, method: str) -> FaultDecision:
        config = self.config
        if not config.active or (config.methods is not None and method not in config.methods):
            return NO_FAULT
        with self._lock:
            draws = [self._rng.random() for _draw in range(4)]
        drop = draws[0] < config.drop_rate
        http500 = not drop and draws[1] < config.http500_rate
        handled = not (drop or http500)
        lose = handled and draws[2] < config.lose_response_rate
        malformed = handled and not lose and draws[3] < config.malformed_rate
        return FaultDecision(config.latency_ms / 1000.0, drop, http500, lose, malformed)
