"""Slices of the tickets: a period (as at its cut-off), filters on the ticket's attributes, the period before.

Every analysis function takes tickets prepared by
:func:`sscard_analysis.measures.hotline.prepare_tickets` (``due_at`` filled)
and works on the slice this module selects, so the workbench and the reports
count the same tickets.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pandas as pd

from ..config import add_months
from ..dates.periods import Period
from ..ingest.ledgers import BANK, CATEGORY, CHANNEL, DISTRICT, TICKET_TYPE
from ..measures.hotline import as_at, received
from ..privacy import mask_person

UNFILLED = "（未填）"
"""How a missing attribute is shown; such a group is listed last and never ranked."""

FILTERS = {CHANNEL: "来源渠道", TICKET_TYPE: "诉求类型", CATEGORY: "业务类别", DISTRICT: "所属区", BANK: "涉及银行", "handler": "经办人"}
"""The attributes a slice can be filtered on, with their Chinese names."""


def labelled(values: pd.Series) -> pd.Series:
    """An attribute as text, ``（未填）`` where it is missing or blank (object dtype)."""
    s = values.astype(object)
    blank = s.isna() | (s.astype(str).str.strip() == "")
    return s.where(~blank, UNFILLED)


def group_key(frame: pd.DataFrame, by: str) -> pd.Series:
    """The values of ``by`` for grouping: labelled, and a handler's name masked (a work ID is kept)."""
    key = labelled(frame[by])
    if by == "handler":
        key = key.map(lambda v: v if v == UNFILLED else mask_person(v))
    return key


def apply_filters(tickets: pd.DataFrame, **filters) -> pd.DataFrame:
    """Tickets whose attributes match every filter.

    Each filter is a value, a list of values (any matches) or None (no
    filter); ``（未填）`` matches a missing value. Unknown attributes raise a
    Chinese ``ValueError``.
    """
    keep = pd.Series(True, index=tickets.index)
    for col, want in filters.items():
        if want is None or want == "" or (isinstance(want, (list, tuple, set)) and not want):
            continue
        if col not in FILTERS:
            raise ValueError(f"无法按“{col}”筛选；可用：{'、'.join(FILTERS)}")
        values = [want] if isinstance(want, str) else list(want)
        keep &= labelled(tickets[col]).isin(values).to_numpy()
    return tickets[keep]


def select(tickets: pd.DataFrame, period: Period, **filters) -> pd.DataFrame:
    """Tickets received in the period, as they stood at its cut-off, matching the filters."""
    return apply_filters(received(as_at(tickets, period.as_of), period), **filters)


def previous_period(p: Period) -> Period | None:
    """The period of the same kind just before ``p`` (week, month, quarter, year, or as many days).

    ``contract`` (the whole service period) has none. Its cut-off is the end
    of its last day: everything that happened then is known.
    """
    label = p.label.strip()
    if label.lower() == "contract":
        return None
    if re.fullmatch(r"\d{4}-W\d{1,2}", label, re.I):
        start, end = p.start - timedelta(days=7), p.start - timedelta(days=1)
    elif re.fullmatch(r"\d{4}-\d{1,2}", label):
        start, end = add_months(p.start, -1), p.start - timedelta(days=1)
    elif re.fullmatch(r"(\d{4}|contract)-Q[1-4]", label, re.I):
        start, end = add_months(p.start, -3), p.start - timedelta(days=1)
    elif re.fullmatch(r"\d{4}", label):
        start, end = add_months(p.start, -12), p.start - timedelta(days=1)
    else:
        start, end = p.start - timedelta(days=p.days), p.start - timedelta(days=1)
    return Period(f"{start}..{end}", start, end, datetime.combine(end, datetime.max.time()).replace(microsecond=0))
