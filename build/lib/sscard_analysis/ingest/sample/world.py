"""The hidden structure several sample ledgers share, so that they tell one story.

A few banks serve worse than the others: tickets name them more often in 投诉, their callers are
less often satisfied, and their outlets score lower in on-site inspections and phone checks. A few
outlets have a recurring fault from some day on: citizens complain about it, naming the outlet, and
the next on-site inspection finds the fault. Callers from a few districts, where outlets are few
and queues long, are less often satisfied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from .base import BANK_P, DISTRICT_P, Calendar
from .outlets import FAULTS, Outlets


WEAK_BANK_FACTOR = 2.2  # a weak bank's share of complaints, relative to its share of outlets
N_PROBLEM_OUTLETS = 40


@dataclass
class World:
    """Weak banks, unhappy districts and faulty outlets of one sample (indices, see fields)."""

    bank_badness: np.ndarray  # per index of BANK_NAMES: 1.0, or WEAK_BANK_FACTOR for a weak bank
    weak_banks: list[int]
    unhappy_districts: list[int]  # indices of DISTRICT_NAMES
    problem_outlets: np.ndarray  # outlet indices (rows of the registry)
    problem_fault: np.ndarray  # index into FAULTS, per problem outlet
    problem_onset: np.ndarray  # calendar day index from which the fault draws complaints, per problem outlet

    def weak(self, bank: np.ndarray) -> np.ndarray:
        """Whether each bank index (-1 = none) is a weak bank."""
        return np.isin(bank, self.weak_banks)


def make_world(rng: np.random.Generator, cal: Calendar, start: date, end: date, outlets: Outlets) -> World:
    """Three weak banks among the larger ones, two unhappy districts, 40 faulty outlets (more at weak banks)."""
    big_banks = np.flatnonzero(BANK_P >= 0.05)
    weak = sorted(rng.choice(big_banks, 3, replace=False).tolist())
    badness = np.ones(len(BANK_P))
    badness[weak] = WEAK_BANK_FACTOR
    unhappy = sorted(rng.choice(np.flatnonzero(DISTRICT_P >= 0.07), 2, replace=False).tolist())
    pool = outlets.settled(start)
    w = badness[outlets.bank[pool]] ** 2
    chosen = rng.choice(pool, N_PROBLEM_OUTLETS, replace=False, p=w / w.sum())
    fault = np.empty(len(chosen), dtype=int)
    for j, o in enumerate(chosen.tolist()):
        ok = [k for k, f in enumerate(FAULTS) if outlets.instant[o] or not f.instant_only]
        fault[j] = ok[int(rng.integers(0, len(ok)))]
    first, last = cal.idx(start), cal.idx(end)
    onset = first + rng.integers(0, int(0.7 * (last - first)), len(chosen))
    order = np.argsort(chosen)
    return World(badness, weak, unhappy, chosen[order], fault[order], onset[order])
