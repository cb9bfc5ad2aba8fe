"""Sample tickets: one messy monthly export per calendar month, all channels.

The year reads as a real one (DATA_CONTRACT 2, issue "sample data that reads like a real contract
year"):

- volume follows the calendar: rest days quieter, 调休 weekend days like working days, a trough over
  the Spring Festival holiday and a peak in the ten working days after it (lost and damaged cards
  from the trip home), student-card 申领 in the three weeks after each school term starts, and
  medical-insurance (就医购药) calls in the last three working days of every month;
- text fits the ticket's type and category (texts.py);
- the July card-activation outage: Monday-Friday from July 15 (2024: 15-19 July), 金融功能激活
  tickets at 7-10 times their usual daily number, across channels, in the outage's own words,
  with more 投诉 and 不满意, then a tail of new callers asking whether it works again (12 days) and
  of the outage's callers calling again (30% of them, up to 16 days after the outage);
- repeat callers (重复件): 4% of identifiable citizens (same ID number or phone) call again about the
  same matter within 15 days, 30% of those through another channel; a few call five to twelve times;
- 不满意 where it would be (the outage, late closures, repeat calls, weak banks, two districts with
  long queues), with the reason in the extra column 回访备注, and 申诉 filed and upheld per reason;
- 投诉 naming outlets with a recurring fault (world.py), which the inspections later find.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from ..ledgers import (
    BANKS,
    CHANNELS,
    HOTLINE,
)
from . import texts as T
from .base import (
    BANK_NAMES,
    BANK_P,
    DISTRICT_NAMES,
    DISTRICT_P,
    DT_FMT,
    END_OF_DAY,
    SPECIAL_NAMES,
    Calendar,
    Table,
    fake_id_numbers,
    fake_names,
    fake_phones,
    ledger_headers,
    months_between,
    new_workbook,
    slash_dt,
    write_table,
)
from .outlets import FAULTS, Outlets
from .staff import HANDLER_POSTS, Person, occupants
from .world import World

_CHANNEL_NAMES = list(CHANNELS)
assert _CHANNEL_NAMES[0] == HOTLINE
# 12345热线 about 65%, the other channels share the rest.
_CHANNEL_P = np.array([0.65, 0.03, 0.01, 0.01, 0.03, 0.06, 0.08, 0.08, 0.03, 0.02])
# The outage reaches every channel citizens use for the card: the hotline, the apps, the banks' line.
_OUTAGE_CHANNEL_P = np.array([0.58, 0.02, 0.02, 0.03, 0.06, 0.05, 0.10, 0.14, 0.0, 0.0])
# Praise comes by the hotline and the citizen-facing apps, not through supervision channels.
_PRAISE_CHANNEL_P = np.array([0.80, 0.0, 0.0, 0.0, 0.08, 0.02, 0.10, 0.0, 0.0, 0.0])
_TICKET_TYPES = ["咨询", "求助", "投诉", "建议", "表扬", "举报"]
_TICKET_TYPE_P = np.array([0.70, 0.10, 0.12, 0.04, 0.02, 0.02])
_OUTAGE_TYPE_P = np.array([0.25, 0.30, 0.40, 0.05, 0.0, 0.0])
_TAIL_TYPE_P = np.array([0.65, 0.20, 0.15, 0.0, 0.0, 0.0])
_DUE_WORKDAYS = np.array([1, 3, 5, 5, 1, 5])  # by _TICKET_TYPES
_ZIXUN, _QIUZHU, _TOUSU, _JIANYI, _BIAOYANG, _JUBAO = range(6)
_STATUSES = ["", "延期", "重复", "无效", "退单"]
_STATUS_P = np.array([0.972, 0.01, 0.01, 0.005, 0.003])
_CATEGORIES = T.CATEGORIES
_CATEGORY_P = np.array(T.CATEGORY_P)
_FIN = _CATEGORIES.index("金融功能激活")
_SATISFACTION = ["满意", "基本满意", "不满意", ""]
_APPEALS = ["申诉成功", "申诉失败", "申诉中"]
_HOUR_P = np.array([2, 1, 1, 1, 1, 2, 4, 8, 14, 18, 18, 16, 10, 14, 17, 17, 15, 12, 9, 8, 7, 6, 4, 3], dtype=float)
_HOUR_P /= _HOUR_P.sum()
_OFFICE_HOUR_P = np.array([0] * 8 + [4, 10, 12, 11, 6, 9, 11, 11, 9, 6, 4, 3, 2, 1, 1, 0], dtype=float)
_OFFICE_HOUR_P /= _OFFICE_HOUR_P.sum()

# Kinds of ticket: how it came about.
_BASE, _OUTAGE, _TAIL, _FAULT, _REPEAT, _OUTAGE_REPEAT = range(6)
# Outage: extra 金融功能激活 tickets per outage day (Monday-Friday), in multiples of that category's usual
# working-day number; then new callers asking whether it works again, decaying over the following days.
_OUTAGE_FACTORS = np.array([6.0, 9.0, 8.0, 6.0, 4.0])
_TAIL_DAYS = 12
REPEAT_SHARE = 0.04  # of identifiable citizens: a repeat call within 15 days
_OUTAGE_CALLBACK = 0.30  # of the outage's callers
_CALLS_PER_REPEATER = 1.25  # further calls per repeat caller, on average (a few call many times)
_FAULT_SHARE = 0.012  # complaints about faulty outlets, of all ordinary tickets
# 不满意 of rated hotline tickets, by type, before the drivers below multiply it.
_DISSATISFIED_P = np.array([0.02, 0.04, 0.10, 0.03, 0.0, 0.06])
_BASIC_P = 0.08  # 基本满意
_UNRATED_P = 0.02
# 申诉 by the driver of a 不满意: share filed, and share of those upheld.
_APPEAL_FILED = {"outage": 0.6, "late": 0.1, "repeat": 0.2, "bank": 0.35, "district": 0.3, "generic": 0.4}
_APPEAL_UPHELD = {"outage": 0.75, "late": 0.05, "repeat": 0.3, "bank": 0.45, "district": 0.5, "generic": 0.55}
_DRIVERS = list(_APPEAL_FILED)


@dataclass
class TicketFacts:
    """What other ledgers need to know about the tickets."""

    first_complaint: dict[int, int]  # faulty outlet index -> day index of the first 投诉 about its fault
    outage: np.ndarray  # day indices of the outage


# ---------------------------------------------------------------------------
# Calendar: seasons and the outage
# ---------------------------------------------------------------------------


def outage_days(cal: Calendar, start: date, end: date) -> np.ndarray:
    """Indices of the outage: Monday to Friday from the first Monday on or after July 15 of the first July in the period."""
    for y in (start.year, start.year + 1):
        july = date(y, 7, 15)
        monday = july + timedelta(days=(7 - july.weekday()) % 7)
        if start <= monday and monday + timedelta(days=4) <= end:
            i = cal.idx(monday)
            return np.arange(i, i + 5)
    return np.array([], dtype=int)


def _seasons(cal: Calendar) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Day weights, category multipliers and season masks over the whole calendar window.

    Returns ``(w, mult, masks)``: ``w[i]`` the relative volume of day ``i`` (working day 1, weekend
    0.35, statutory holiday 0.25, Spring Festival holiday 0.12, times the season factors below),
    ``mult[i, c]`` the extra factor of category ``c`` on day ``i``, and boolean masks of the days of
    each season of texts.SEASONAL ("student", "month_end", "spring").
    """
    n = len(cal.dates)
    work = cal.work
    fest = np.array(cal.festival, dtype=object)
    w = np.where(work, 1.0, np.where(fest != "", 0.25, 0.35))
    spring_hol = fest == "Spring Festival"
    w[spring_hol] = 0.12
    mult = np.ones((n, len(_CATEGORIES)))
    masks = {k: np.zeros(n, dtype=bool) for k in T.SEASONAL}
    cat = _CATEGORIES.index
    widx = cal.work_idx
    # Spring Festival: the five working days before the holiday thin out (people travel home); the ten
    # after it peak, falling from 1.5 to 1.1, with lost and damaged cards from the trip.
    hol = np.flatnonzero(spring_hol)
    if len(hol):
        blocks = np.split(hol, np.flatnonzero(np.diff(hol) > 1) + 1)
        for b in blocks:
            before = widx[widx < b[0]][-5:]
            w[before] *= 0.75
            after = widx[widx > b[-1]][:10]
            w[after] *= np.linspace(1.5, 1.1, len(after))
            masks["spring"][after] = True
            mult[after, cat("挂失")] *= 1.6
            mult[after, cat("补换")] *= 1.4
            mult[after, cat("申领")] *= 1.2
    # National Day: three busier working days after the holiday.
    nat = np.flatnonzero(fest == "National Day")
    if len(nat):
        for b in np.split(nat, np.flatnonzero(np.diff(nat) > 1) + 1):
            w[widx[widx > b[-1]][:3]] *= 1.2
    # School terms start on the first Monday on or after 1 September and 15 February: student cards.
    years = sorted({d.year for d in cal.dates})
    for y in years:
        for m, d in ((9, 1), (2, 15)):
            first = date(y, m, d)
            first += timedelta(days=(7 - first.weekday()) % 7)
            if cal.dates[0] <= first <= cal.dates[-1]:
                term = widx[widx >= cal.idx(first)][:15]
                masks["student"][term] = True
                mult[term, cat("申领")] *= 2.0
                mult[term, cat("照片回执")] *= 1.4
    # Month end: the last three working days of each month, medical-insurance payments and settlements.
    ym = np.array([d.year * 12 + d.month for d in cal.dates])
    wym = ym[widx]
    last_of_month = np.r_[wym[1:] != wym[:-1], True]
    for pos in np.flatnonzero(last_of_month):
        days = widx[max(0, pos - 2):pos + 1]
        days = days[ym[days] == wym[pos]]
        w[days] *= 1.1
        mult[days, cat("就医购药")] *= 2.0
        masks["month_end"][days] = True
    return w, mult, masks


# ---------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------


class _Templates:
    """Every body template, numbered, with the slots each needs, and the pools tickets draw from."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.pools: dict[tuple, np.ndarray] = {}
        for cat, by_type in T.BODIES.items():
            for tt, items in by_type.items():
                self._add(("base", cat, tt), items)
        for season, by_cat in T.SEASONAL.items():
            for cat, by_type in by_cat.items():
                for tt, items in by_type.items():
                    self._add((season, cat, tt), items)
        for tt, items in T.OUTAGE.items():
            self._add(("outage", tt), items)
        for tt, items in T.OUTAGE_TAIL.items():
            self._add(("tail", tt), items)
        for k, items in enumerate(T.FAULT_COMPLAINTS):
            self._add(("fault", k), items)
        for tt, items in T.FOLLOWUP.items():
            self._add(("followup", tt), items)
        self._add(("outage_followup", True), T.OUTAGE_FOLLOWUP)
        self._add(("outage_followup", False), [t for t in T.OUTAGE_FOLLOWUP if "{outlet}" not in t])
        self.needs_outlet = np.array(["{outlet}" in t for t in self.text])
        self.needs_bank = np.array(["{bank}" in t for t in self.text])
        self.needs_app = np.array(["{app}" in t for t in self.text])

    def _add(self, key: tuple, items: list[str]) -> None:
        ids = np.arange(len(self.text), len(self.text) + len(items))
        self.text.extend(items)
        self.pools[key] = ids

    def pick(self, key: tuple, u: float) -> int:
        pool = self.pools[key]
        return int(pool[int(u * len(pool))])


_TEMPLATES = _Templates()


def _fill(template: str, **slots: str) -> str:
    """``template`` with its slots replaced (only the slots it holds are looked at)."""
    if "{" not in template:
        return template
    for k, v in slots.items():
        template = template.replace("{" + k + "}", v)
    return template


def _md(d: date) -> str:
    return f"{d.month}月{d.day}日"


# ---------------------------------------------------------------------------
# Tickets
# ---------------------------------------------------------------------------


_TICKET_HEADERS = ["序号"] + ledger_headers("tickets", {"ticket_id": "工单编号（必填）", "phone": "来电号码"}) + ["回访备注"]


def _primary_days(rng: np.random.Generator, cal: Calendar, start: date, end: date, per_month: int,
                  world: World) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Day, category, kind and named faulty outlet (-1) of every first call, unsorted; and the season masks."""
    first, last = cal.idx(start), cal.idx(end)
    w_all, mult_all, masks = _seasons(cal)
    days = np.arange(first, last + 1)
    w, mult = w_all[days], mult_all[days]
    # ``per_month`` tickets in an average month, all told: first calls, calls again and complaints about
    # faulty outlets (the outage comes on top).
    lam = w[:, None] * _CATEGORY_P[None, :] * mult
    lam *= per_month * (len(days) / 30.4375) / lam.sum() / (1 + _FAULT_SHARE + REPEAT_SHARE * _CALLS_PER_REPEATER)
    counts = rng.poisson(lam)
    d_base = np.repeat(np.repeat(days, counts.shape[1]), counts.ravel())
    c_base = np.repeat(np.tile(np.arange(counts.shape[1]), len(days)), counts.ravel())
    parts = [(d_base, c_base, np.full(len(d_base), _BASE), np.full(len(d_base), -1))]

    outage = outage_days(cal, start, end)
    if len(outage):
        usual = ~np.isin(days, outage) & cal.work[days]
        base_fin = lam[usual, _FIN].mean()
        n_out = rng.poisson(_OUTAGE_FACTORS[:len(outage)] * base_fin)
        d_out = np.repeat(outage, n_out)
        tail = np.arange(outage[-1] + 1, min(outage[-1] + 1 + _TAIL_DAYS, last + 1))
        tail_lam = 1.5 * base_fin * 0.8 ** np.arange(len(tail)) * np.where(cal.work[tail], 1.0, 0.35)
        d_tail = np.repeat(tail, rng.poisson(tail_lam))
        parts.append((d_out, np.full(len(d_out), _FIN), np.full(len(d_out), _OUTAGE), np.full(len(d_out), -1)))
        parts.append((d_tail, np.full(len(d_tail), _FIN), np.full(len(d_tail), _TAIL), np.full(len(d_tail), -1)))

    # Complaints about faulty outlets, on working days from each fault's onset.
    wd = cal.work_idx
    spans = [wd[(wd >= o) & (wd <= last)] for o in world.problem_onset.tolist()]
    rate = _FAULT_SHARE * len(d_base) / max(1, sum(len(s) for s in spans))
    for j, span in enumerate(spans):
        k = int(rng.poisson(rate * len(span)))
        if not k or not len(span):
            continue
        d = np.sort(rng.choice(span, k))
        cats = FAULTS[int(world.problem_fault[j])].categories
        c = np.array([_CATEGORIES.index(x) for x in cats])[rng.integers(0, len(cats), k)]
        parts.append((d, c, np.full(k, _FAULT), np.full(k, int(world.problem_outlets[j]))))
    day, cat, kind, outlet = (np.concatenate(x) for x in zip(*parts))
    return day, cat, kind, outlet, {k: v for k, v in masks.items()}


def _pick_outlets(rng: np.random.Generator, want: np.ndarray, category: np.ndarray, ttype: np.ndarray,
                  kind: np.ndarray, outlets: Outlets, world: World, start: date) -> np.ndarray:
    """An outlet for each ticket whose text names one (-1 elsewhere).

    即时制卡 tickets name an outlet that does it; 投诉 and 举报 lean to weak banks' outlets; 表扬 never
    names a faulty outlet.
    """
    out = np.full(len(want), -1)
    settled = outlets.settled(start)
    faulty = np.isin(settled, world.problem_outlets)
    instant = outlets.instant[settled]
    badness = world.bank_badness[outlets.bank[settled]]
    complaint = np.isin(ttype, [_TOUSU, _JUBAO]) & (kind != _OUTAGE) & (kind != _TAIL)
    inst_cat = category == _CATEGORIES.index("即时制卡")
    for is_c in (False, True):
        for is_i in (False, True):
            for is_praise in (False, True):
                sel = want & (complaint == is_c) & (inst_cat == is_i) & ((ttype == _BIAOYANG) == is_praise)
                if not sel.any():
                    continue
                wts = badness.copy() if is_c else np.ones(len(settled))
                if is_i:
                    wts = wts * instant
                if is_praise:
                    wts = wts * ~faulty
                cum = np.cumsum(wts / wts.sum())
                out[sel] = settled[np.minimum(np.searchsorted(cum, rng.random(sel.sum())), len(settled) - 1)]
    return out


def _weighted_banks(rng: np.random.Generator, n: int, badness: np.ndarray | None) -> np.ndarray:
    p = BANK_P * (badness if badness is not None else 1.0)
    return rng.choice(len(BANK_NAMES), n, p=p / p.sum())


def _ticket_rows(rng: np.random.Generator, cal: Calendar, start: date, end: date, per_month: int,
                 handlers: list[list[Person]], outlets: Outlets, world: World) -> dict[str, Any]:
    """All tickets of the period, column-wise (numpy arrays), sorted by receipt time."""
    last = cal.idx(end)
    day, category, kind, outlet, masks = _primary_days(rng, cal, start, end, per_month, world)
    n = len(day)
    outage_like = (kind == _OUTAGE) | (kind == _TAIL)
    ttype = rng.choice(len(_TICKET_TYPES), n, p=_TICKET_TYPE_P)
    for k, p in ((_OUTAGE, _OUTAGE_TYPE_P), (_TAIL, _TAIL_TYPE_P)):
        ttype[kind == k] = rng.choice(len(_TICKET_TYPES), int((kind == k).sum()), p=p)
    ttype[kind == _FAULT] = _TOUSU
    channel = rng.choice(len(_CHANNEL_NAMES), n, p=_CHANNEL_P)
    channel[outage_like] = rng.choice(len(_CHANNEL_NAMES), int(outage_like.sum()), p=_OUTAGE_CHANNEL_P)
    praise = ttype == _BIAOYANG
    channel[praise] = rng.choice(len(_CHANNEL_NAMES), int(praise.sum()), p=_PRAISE_CHANNEL_P)
    office = outage_like | (kind == _FAULT)
    hour = rng.choice(24, n, p=_HOUR_P)
    hour[office] = rng.choice(24, int(office.sum()), p=_OFFICE_HOUR_P)
    secs = hour * 3600 + rng.integers(0, 3600, n)

    # Body template of each first call.
    seasons = list(T.SEASONAL)
    active = {i: tuple(s for s in seasons if masks[s][i]) for i in np.unique(day).tolist()}
    fault_of = {int(o): int(f) for o, f in zip(world.problem_outlets, world.problem_fault)}
    pools = _TEMPLATES.pools
    u = rng.random((n, 2))
    tid = np.empty(n, dtype=int)
    for i, (k, c, t, d) in enumerate(zip(kind.tolist(), category.tolist(), ttype.tolist(), day.tolist())):
        cname, tname = _CATEGORIES[c], _TICKET_TYPES[t]
        if k == _BASE:
            key: tuple = ("base", cname, tname)
            for s in active[d]:
                if (s, cname, tname) in pools and u[i, 1] < 0.6:
                    key = (s, cname, tname)
                    break
        elif k == _OUTAGE:
            key = ("outage", tname)
        elif k == _TAIL:
            key = ("tail", tname)
        else:
            key = ("fault", fault_of[int(outlet[i])])
        tid[i] = _TEMPLATES.pick(key, u[i, 0])

    # Outlets, banks, apps and districts: what the text names decides the structured columns.
    want = _TEMPLATES.needs_outlet[tid] & (outlet < 0)
    outlet = np.where(want, _pick_outlets(rng, want, category, ttype, kind, outlets, world, start), outlet)
    has_o = outlet >= 0
    complaint = np.isin(ttype, [_TOUSU, _JUBAO])
    bank = np.where(has_o, outlets.bank[np.maximum(outlet, 0)], -1)
    fill = ~has_o & (_TEMPLATES.needs_bank[tid] | (_TEMPLATES.needs_app[tid] & (rng.random(n) < 0.5))
                     | (rng.random(n) < np.where(outage_like, 0.6, 0.35)))
    for is_c in (False, True):
        sel = fill & (complaint == is_c)
        bank[sel] = _weighted_banks(rng, int(sel.sum()), world.bank_badness if is_c else None)
    app_pick = rng.integers(0, len(T.APPS), n)
    bank_app = (bank >= 0) & (rng.random(n) < 0.6)
    district = np.where(has_o, outlets.district[np.maximum(outlet, 0)], rng.choice(len(DISTRICT_NAMES), n, p=DISTRICT_P))
    workers = fake_names(rng, n)

    def app_of(i: int) -> str:
        return f"{BANK_NAMES[bank[i]]}手机银行" if bank_app[i] else T.APPS[app_pick[i]]

    bodies = []
    for i, t in enumerate(tid.tolist()):
        text = _TEMPLATES.text[t]
        if "{" in text:
            o = int(outlet[i])
            text = _fill(text, outlet=outlets.names[o] if o >= 0 else "", bank=BANK_NAMES[bank[i]] if bank[i] >= 0 else "",
                         app=app_of(i), worker=workers[i][0] + "*" * (len(workers[i]) - 1), date=_md(cal.day(day[i])))
        bodies.append(text)

    names = fake_names(rng, n)
    names[rng.random(n) < 0.03] = None
    ids = np.where(rng.random(n) < 0.65, fake_id_numbers(rng, n), None)
    phones = np.where(rng.random(n) < 0.93, fake_phones(rng, n), None)

    # Repeat callers: the same citizen about the same matter within 15 days.
    ident = (ids != None) | (phones != None)  # noqa: E711 (element-wise)
    elig_gen = ident & np.isin(kind, [_BASE, _FAULT]) & np.isin(ttype, [_ZIXUN, _QIUZHU, _TOUSU, _JUBAO])
    elig_out = ident & (kind == _OUTAGE) & (ttype != _JIANYI)
    target = int(round(REPEAT_SHARE * ident.sum()))
    n_many = max(2, int(round(0.0004 * ident.sum())))
    n_out = min(int(rng.binomial(int(elig_out.sum()), _OUTAGE_CALLBACK)), target // 2)
    n_gen = max(0, min(target - n_out - n_many, int(elig_gen.sum()) - n_many))
    out_first = rng.choice(np.flatnonzero(elig_out), n_out, replace=False)
    picked = rng.choice(np.flatnonzero(elig_gen), n_gen + n_many, replace=False)
    repeaters = [(int(f), int(rng.integers(5, 13)), "many") for f in picked[:n_many]]
    repeaters += [(int(f), int(rng.choice([1, 2, 3], p=[0.85, 0.12, 0.03])), "gen") for f in picked[n_many:]]
    repeaters += [(int(f), int(rng.choice([1, 2], p=[0.8, 0.2])), "out") for f in out_first]
    src, r_day, r_out = [], [], []
    for f, calls, how in repeaters:
        d = int(day[f])
        for _ in range(calls):
            x = rng.exponential(3.0 if how == "gen" else 2.5)
            d += min(int(x), 14) if how == "gen" else 1 + min(int(x), 9 if how == "many" else 7)
            if d > last:
                break
            src.append(f)
            r_day.append(d)
            r_out.append(how == "out")
    src_a, r_day_a, r_out_a = np.array(src, dtype=int), np.array(r_day, dtype=int), np.array(r_out, dtype=bool)
    m = len(src_a)
    r_type = ttype[src_a].copy()
    x = rng.random(m)
    was = ttype[src_a]
    r_type[(was == _ZIXUN) & (x > 0.7)] = _TOUSU
    r_type[(was == _ZIXUN) & (x > 0.9)] = _QIUZHU
    r_type[(was == _QIUZHU) & (x > 0.6)] = _TOUSU
    r_channel = np.where(rng.random(m) < 0.7, channel[src_a], rng.choice(len(_CHANNEL_NAMES), m, p=_CHANNEL_P))
    same_day = r_day_a == day[src_a]
    r_secs = np.where(same_day, np.minimum(secs[src_a] + rng.integers(1800, 14400, m), 86399),
                      rng.choice(24, m, p=_HOUR_P) * 3600 + rng.integers(0, 3600, m))
    keep_id = rng.random(m) < 0.7
    keep_phone = rng.random(m) < 0.85
    r_ids = np.where(keep_id, ids[src_a], None)
    r_phones = np.where(keep_phone, phones[src_a], None)
    lost = (r_ids == None) & (r_phones == None)  # noqa: E711
    r_ids[lost] = ids[src_a][lost]
    r_phones[lost & (r_ids == None)] = phones[src_a][lost & (r_ids == None)]  # noqa: E711
    r_names = np.where(rng.random(m) < 0.9, names[src_a], None)
    r_kind = np.where(r_out_a, _OUTAGE_REPEAT, _REPEAT)
    u2 = rng.random(m)
    r_bodies = []
    for j, f in enumerate(src_a.tolist()):
        when = _md(cal.day(day[f]))
        if r_out_a[j]:
            text = _TEMPLATES.text[_TEMPLATES.pick(("outage_followup", bool(outlet[f] >= 0)), u2[j])]
            text = _fill(text, outlet=outlets.names[outlet[f]] if outlet[f] >= 0 else "", app=app_of(f), date=when)
        else:
            tt = _TICKET_TYPES[r_type[j]]
            if r_type[j] != was[j]:
                tt = f"{_TICKET_TYPES[was[j]]}>{tt}"
            text = _TEMPLATES.text[_TEMPLATES.pick(("followup", tt), u2[j])]
            text = _fill(text, prev=bodies[f], date=when)
        r_bodies.append(text)

    # All tickets together, by receipt time.
    day = np.concatenate([day, r_day_a])
    secs = np.concatenate([secs, r_secs])
    order = np.lexsort((secs, day))
    cat_ = lambda a, b: np.concatenate([a, b])[order]  # noqa: E731
    day, secs = day[order], secs[order]
    category, kind = cat_(category, category[src_a]), cat_(kind, r_kind)
    ttype, channel = cat_(ttype, r_type), cat_(channel, r_channel)
    outlet, bank, district = cat_(outlet, outlet[src_a]), cat_(bank, bank[src_a]), cat_(district, district[src_a])
    names, ids, phones = cat_(names, r_names), cat_(ids, r_ids), cat_(phones, r_phones)
    body = np.array(bodies + r_bodies, dtype=object)[order]
    n = len(day)
    repeat = (kind == _REPEAT) | (kind == _OUTAGE_REPEAT)
    outage_k = (kind == _OUTAGE) | (kind == _OUTAGE_REPEAT)

    status = rng.choice(len(_STATUSES), n, p=_STATUS_P)
    status[repeat & (rng.random(n) < 0.15)] = 2  # the platform marks some repeat calls 重复
    district_suffix = rng.random(n) < 0.5
    district_missing = rng.random(n) < 0.03

    # Deadlines: end of the N-th working day after receipt; 延期 adds five more.
    due_day = cal.nth_after(day, _DUE_WORKDAYS[ttype])
    extended = status == 1
    eff_due = np.where(extended, cal.nth_after(due_day, 5), due_day)
    due_given = extended | (rng.random(n) < 0.8)

    # Closure: within the deadline, a few late (hotline ~0.4%, other channels ~2%).
    nd = _DUE_WORKDAYS[ttype]
    k = np.minimum((rng.random(n) ** 1.7 * (nd + 1)).astype(int), nd)
    close_day = np.where(k == 0, day, cal.nth_after(day, np.maximum(k, 1)))
    close_day = np.where(extended, cal.nth_after(due_day, rng.integers(1, 6, n)), close_day)
    hotline = channel == 0
    late = (status == 0) & (rng.random(n) < np.where(hotline, 0.0037, 0.02))
    close_day = np.where(late, cal.nth_after(eff_due, rng.integers(1, 4, n)), close_day)
    close_day = np.where((status == 2) | (status == 3), day, close_day)
    same_day = close_day == day
    close_secs = np.where(same_day, np.minimum(secs + rng.integers(600, 14400, n), 86340),
                          9 * 3600 + rng.integers(0, 9 * 3600, n))
    open_ = status == 4
    # A few hotline tickets never closed though long overdue.
    overdue_pool = np.flatnonzero(hotline & (status == 0) & (eff_due < last - 5) & (day > last - 60))
    if len(overdue_pool):
        open_[rng.choice(overdue_pool, min(3, len(overdue_pool)), replace=False)] = True
    # Closures after the end of the data are not known yet.
    open_ |= (close_day > last)

    # 回访: hotline tickets closed normally or after 延期.
    rated = hotline & ~open_ & (status <= 1)
    weak = world.weak(bank)
    unhappy = np.isin(district, world.unhappy_districts)
    p = _DISSATISFIED_P[ttype].copy()
    p[repeat] *= 2.5
    p[late] *= 3.5
    p[weak] *= 1.8
    p[unhappy] *= 1.8
    p[kind == _FAULT] *= 1.6
    p[extended] *= 1.4
    p[outage_k] = np.maximum(p[outage_k] * 2.0, 0.30)
    p[kind == _TAIL] = np.maximum(p[kind == _TAIL], 0.10)
    p = np.minimum(p, 0.7)
    p[ttype == _BIAOYANG] = 0.0
    r1, r2 = rng.random(n), rng.random(n)
    unrated = rated & (r1 < _UNRATED_P)
    sat = np.where(r2 < p, 2, np.where(r2 < p + _BASIC_P, 1, 0))
    sat = np.where(rated & ~unrated, sat, 3)
    dissatisfied = sat == 2
    driver = np.select([outage_k | (kind == _TAIL), late, repeat, weak | (kind == _FAULT), unhappy],
                       [0, 1, 2, 3, 4], 5)
    driver[~(outage_k | (kind == _TAIL)) & (rng.random(n) < 0.2)] = 5
    d_names = [_DRIVERS[x] for x in range(len(_DRIVERS))]
    filed = dissatisfied & (rng.random(n) < np.array([_APPEAL_FILED[x] for x in d_names])[driver])
    upheld = rng.random(n) < np.array([_APPEAL_UPHELD[x] for x in d_names])[driver]
    pending = (close_day > last - 15) & (rng.random(n) < 0.7)
    appeal = np.where(filed, np.where(pending, 2, np.where(upheld, 0, 1)), -1)
    notes = np.full(n, None, dtype=object)
    pick = rng.integers(0, 1 << 30, n)
    for i in np.flatnonzero(dissatisfied).tolist():
        dn = d_names[driver[i]]
        reasons = T.REASONS[dn]
        text = "回访不满意：" + _fill(reasons[pick[i] % len(reasons)], bank=BANK_NAMES[bank[i]] if bank[i] >= 0 else "",
                                    district=DISTRICT_NAMES[district[i]])
        if appeal[i] >= 0:
            text += f"；承办单位已申诉：{T.APPEAL_REASONS[dn]}"
        notes[i] = text
    for i in np.flatnonzero(unrated).tolist():
        notes[i] = T.UNRATED_NOTES[pick[i] % len(T.UNRATED_NOTES)]

    handler_ids = np.empty(n, dtype=object)
    seat = rng.integers(0, len(handlers), n)
    for s, chain in enumerate(handlers):
        sel = seat == s
        starts = np.array([cal.idx(p.onboard_on) for p in chain])
        ends = np.array([cal.idx(p.left_on) if p.left_on else len(cal.dates) for p in chain])
        pos = np.clip(np.searchsorted(starts, day[sel], side="right") - 1, 0, len(chain) - 1)
        ids_ = np.array([p.staff_id for p in chain], dtype=object)[pos]
        # A vacant seat's tickets go to the first seat (工单处理（统筹）, never vacant).
        ids_[day[sel] > ends[pos]] = handlers[0][0].staff_id
        handler_ids[sel] = ids_

    # 诉求内容: lead, body, sometimes extra sentences, a demand; a few leak the caller's ID or phone.
    leak = rng.random(n) < 0.02
    long_ = rng.random(n)
    pick2 = rng.integers(0, 1 << 30, (n, 4))
    contents = []
    for i in range(n):
        tname = _TICKET_TYPES[ttype[i]]
        b = body[i]
        if repeat[i]:
            text = b + "。"
        else:
            leads = T.LEADS[tname]
            question = tname == "咨询"
            text = leads[pick2[i, 0] % len(leads)] + b + ("？" if question else "。")
        if long_[i] < 0.08:
            extras = T.EXTRAS[tname]
            j = pick2[i, 1] % len(extras)
            for k in range(3 if long_[i] < 0.03 else 1):
                text += extras[(j + k) % len(extras)]
        demands = T.DEMANDS[tname]
        text += demands[pick2[i, 2] % len(demands)]
        if leak[i]:
            if ids[i] is not None and i % 2:
                text += f"来电人身份证号{ids[i]}，请核实。"
            elif phones[i] is not None:
                text += f"请回电{phones[i]}。"
        contents.append(text)

    return dict(day=day, secs=secs, channel=channel, ttype=ttype, category=category, status=status,
                district=district, district_suffix=district_suffix, district_missing=district_missing,
                bank=bank, due=eff_due, due_given=due_given, close_day=close_day, close_secs=close_secs,
                open=open_, sat=sat, appeal=appeal, handler=handler_ids, content=np.array(contents, dtype=object),
                name=names, id_number=ids, phone=phones, note=notes, kind=kind, outlet=outlet)


def _facts(t: dict[str, Any], world: World, cal: Calendar, start: date, end: date) -> TicketFacts:
    """First complaint about each faulty outlet's fault (world.py); the outage days."""
    first: dict[int, int] = {}
    sel = np.flatnonzero(t["kind"] == _FAULT)
    for o, d in zip(t["outlet"][sel].tolist(), t["day"][sel].tolist()):
        if o not in first:
            first[o] = d  # tickets are sorted by day
    return TicketFacts(first, outage_days(cal, start, end))


def _obj(values: np.ndarray, mask: np.ndarray | None = None) -> list[Any]:
    """Python list of ``values`` with None where ``mask`` is False."""
    out = values.astype(object)
    if mask is not None:
        out[~mask] = None
    return out.tolist()


def _ticket_month_columns(t: dict[str, Any], sel: np.ndarray, cal: Calendar, status_normal: str,
                          rng: np.random.Generator) -> list[list[Any]]:
    """Columns of one monthly ticket file (序号 left empty, numbered just before writing)."""
    day = t["day"][sel]
    n = len(day)
    seq = np.zeros(n, dtype=int)
    if n:
        new_day = np.r_[True, day[1:] != day[:-1]]
        starts = np.flatnonzero(new_day)
        seq = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n])) + 1
    ymd = [cal.dates[i].strftime("%Y%m%d") for i in day.tolist()]
    ticket_id = [f"GZ{d}{s:05d}" for d, s in zip(ymd, seq.tolist())]
    received = (cal.base_serial + day + t["secs"][sel] / 86400.0).tolist()
    # A few text dates, as hand-edited exports hold them.
    n_text = max(3, n // 300)
    for j, i in enumerate(rng.choice(n, min(n_text, n), replace=False).tolist() if n else []):
        dt = cal.dt(day[i], t["secs"][sel][i])
        received[i] = (slash_dt(dt), f"{dt.year}年{dt.month}月{dt.day}日", dt.strftime("%Y%m%d"))[j % 3]
    channel = np.array(_CHANNEL_NAMES, dtype=object)[t["channel"][sel]]
    syn = rng.random(n) < 0.01
    channel[syn & (t["channel"][sel] == 0)] = "12345政务服务便民热线"
    status = np.array(_STATUSES, dtype=object)[t["status"][sel]]
    status[status == ""] = status_normal
    district = np.array(DISTRICT_NAMES, dtype=object)[t["district"][sel]]
    district = np.where(t["district_suffix"][sel], district + "区", district)
    district[t["district_missing"][sel]] = None
    bank_idx = t["bank"][sel]
    bank = np.where(bank_idx >= 0, np.array(BANK_NAMES + [""], dtype=object)[bank_idx], None)
    syn_bank = (bank_idx >= 0) & (rng.random(n) < 0.05)
    for i in np.flatnonzero(syn_bank).tolist():
        synonyms = BANKS[BANK_NAMES[bank_idx[i]]]
        if synonyms:
            bank[i] = synonyms[i % len(synonyms)]
    due = _obj(cal.base_serial + t["due"][sel] + END_OF_DAY, t["due_given"][sel])
    closed_serial = cal.base_serial + t["close_day"][sel] + t["close_secs"][sel] / 86400.0
    closed = _obj(closed_serial, ~t["open"][sel])
    for i in rng.choice(n, min(max(1, n // 500), n), replace=False).tolist() if n else []:
        if closed[i] is not None:
            closed[i] = slash_dt(cal.dt(t["close_day"][sel][i], t["close_secs"][sel][i]))
    sat = np.array(_SATISFACTION + [None], dtype=object)[t["sat"][sel]]
    sat[sat == ""] = None
    appeal = np.array(_APPEALS + [None], dtype=object)[t["appeal"][sel]]
    ttype = np.array(_TICKET_TYPES, dtype=object)[t["ttype"][sel]]
    category = np.array(_CATEGORIES, dtype=object)[t["category"][sel]]
    names = t["name"][sel].copy()
    if n >= 4:
        # Every file holds a name with a middle dot and a Latin name.
        names[n // 3] = SPECIAL_NAMES[0]
        names[2 * n // 3] = SPECIAL_NAMES[1 + int(day[0]) % 3]
    return [[None] * n, ticket_id, channel.tolist(), received, ttype.tolist(), [s or None for s in status.tolist()],
            category.tolist(), district.tolist(), bank.tolist(), due, closed, sat.tolist(), appeal.tolist(),
            t["handler"][sel].tolist(), t["content"][sel].tolist(), names.tolist(), t["id_number"][sel].tolist(),
            t["phone"][sel].tolist(), t["note"][sel].tolist()]


# Column positions in the ticket columns (序号 first).
_T_SEQ, _T_ID, _T_CHANNEL, _T_RECEIVED, _T_CLOSED, _T_ID_NUMBER, _T_PHONE = 0, 1, 2, 3, 10, 16, 17
_BAD_KINDS = ("empty_id", "bad_received", "unknown_channel", "id_as_number", "id_bad_check", "bad_phone", "dup_row")


def _inject_bad_rows(cols: list[list[Any]], rng: np.random.Generator, month_no: int) -> list[str]:
    """Damage 3-6 rows of one monthly file in place; return the kinds applied.

    The duplicate row is a copy-paste: it repeats its 序号 too.
    """
    n = len(cols[0])
    cols[_T_SEQ][:] = list(range(1, n + 1))
    if n < 10:
        return []
    kinds = sorted(rng.choice(len(_BAD_KINDS), int(rng.integers(3, 7)), replace=False).tolist())
    rows = rng.choice(np.arange(1, n - 1), len(kinds), replace=False).tolist()
    applied = []
    for kind_no, r in zip(kinds, rows):
        kind = _BAD_KINDS[kind_no]
        if kind == "empty_id":
            cols[_T_ID][r] = None
        elif kind == "bad_received":
            cols[_T_RECEIVED][r] = "#N/A" if month_no % 2 else f"{2024 + month_no % 2}-13-45"
        elif kind == "unknown_channel":
            cols[_T_CHANNEL][r] = "现场来访" if month_no % 2 else "微信留言"
        elif kind == "id_as_number":
            ids = [i for i in range(n) if isinstance(cols[_T_ID_NUMBER][i], str) and cols[_T_ID_NUMBER][i][-1] != "X"]
            if ids:
                r = ids[int(rng.integers(0, len(ids)))]
                cols[_T_ID_NUMBER][r] = float(f"{float(cols[_T_ID_NUMBER][r]):.15g}")
        elif kind == "id_bad_check":
            ids = [i for i in range(n) if isinstance(cols[_T_ID_NUMBER][i], str)]
            if ids:
                r = ids[int(rng.integers(0, len(ids)))]
                v = cols[_T_ID_NUMBER][r]
                cols[_T_ID_NUMBER][r] = v[:17] + ("0" if v[17] != "0" else "1")
        elif kind == "bad_phone":
            cols[_T_PHONE][r] = f"1{int(rng.integers(30, 90))}{int(rng.integers(0, 10_000_000)):07d}"
        elif kind == "dup_row":
            for col in cols:
                col.insert(r + 1, col[r])
        applied.append(kind)
    return applied


def _write_ticket_file(path: Path, banner: str, cols: list[list[Any]]) -> int:
    """One monthly ticket workbook: merged banner, header, data, 合计 row."""
    n = len(cols[0])
    table = Table(_TICKET_HEADERS, cols,
                   [None, None, None, DT_FMT, None, None, None, None, None, DT_FMT, DT_FMT] + [None] * 8)
    wb = new_workbook(path, constant_memory=True)
    ws = wb.add_worksheet(path.stem[-8:])
    widths = [7, 18, 14, 19, 9, 9, 12, 9, 12, 19, 19, 11, 9, 9, 48, 10, 20, 17, 36]
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    title = wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    ws.set_row(0, 26)
    ws.merge_range(0, 0, 0, len(_TICKET_HEADERS) - 1, banner, title)
    r = write_table(wb, ws, table, 1)
    ws.write_string(r, 0, "合计")
    ws.write_number(r, 1, n)
    wb.close()
    return n


def write_tickets(out_dir: Path, rng: np.random.Generator, cal: Calendar, start: date, end: date,
                   per_month: int, people: list[Person], outlets: Outlets, world: World) -> tuple[int, TicketFacts]:
    """Monthly ticket files ``工单台账YYYY年MM月.xlsx``; return the data rows written and facts for other ledgers.

    Columns are the ledger's, with 序号 before them and the extra column 回访备注 (the 回访 note:
    why a caller was 不满意, a 申诉 filed, or why there is no rating) after them.
    """
    t = _ticket_rows(rng, cal, start, end, per_month, occupants(people, HANDLER_POSTS), outlets, world)
    months = months_between(start, end)
    dates_ym = np.array([cal.dates[i].year * 12 + cal.dates[i].month - 1 for i in t["day"].tolist()])
    month_cols = []
    for k, (y, m) in enumerate(months):
        sel = dates_ym == y * 12 + m - 1
        cols = _ticket_month_columns(t, sel, cal, "正常" if k % 2 else "", rng)
        month_cols.append((sel, cols))
    # Re-export: one ticket of the fourth month's last days appears again next month, closed later.
    if len(months) >= 5:
        sel, cols = month_cols[3]
        idx = np.flatnonzero(sel)
        cand = [j for j, i in enumerate(idx.tolist())
                if not t["open"][i] and t["status"][i] == 0 and t["close_day"][i] < t["due"][i]
                and t["day"][i] >= t["day"][idx[-1]] - 4 and isinstance(cols[_T_RECEIVED][j], float)]
        if cand:
            j = cand[len(cand) // 2]
            i = idx[j]
            row = [col[j] for col in cols]
            later = cal.nth_after(t["close_day"][i], 1)
            row[_T_CLOSED] = cal.base_serial + float(later) + (10 * 3600 + 1234) / 86400.0
            nxt = month_cols[4][1]
            pos = min(5, len(nxt[0]))
            for c, col in enumerate(nxt):
                col.insert(pos, row[c])
    total = 0
    for k, ((y, m), (_, cols)) in enumerate(zip(months, month_cols)):
        _inject_bad_rows(cols, rng, k)
        total += _write_ticket_file(out_dir / f"工单台账{y}年{m:02d}月.xlsx", f"{y}年{m}月社保卡工单台账", cols)
    return total, _facts(t, world, cal, start, end)
