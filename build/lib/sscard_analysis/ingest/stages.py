"""CPU seconds spent in each stage of reading, for the ingest benchmark's breakdown.

Each process keeps its own tally (parse workers are not counted: profile
with ``load(..., workers=1)``).
"""

from __future__ import annotations

import time
from collections import defaultdict

SECONDS: dict[str, float] = defaultdict(float)


class Clock:
    """Adds the CPU time since the previous lap to a stage."""

    def __init__(self) -> None:
        self.t = time.process_time()

    def lap(self, stage: str) -> None:
        now = time.process_time()
        SECONDS[stage] += now - self.t
        self.t = now
