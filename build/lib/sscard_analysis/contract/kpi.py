"""The KPI object of ``sscard kpi`` (DATA_CONTRACT section 4).

:func:`compute_kpis` assembles, for one period, the fixed output keys other
tools rely on. Rates are fractions in [0, 1] (None when the denominator is 0);
counts are for the period unless the key says otherwise.
"""

from __future__ import annotations

from ..dates.calendar import calendar_for
from ..dates.periods import Period
from ..ingest.reader import DataSet
from ..measures.activity import (
    guide_check_counts,
    outlet_inspection_counts,
    phone_check_counts,
    publication_counts,
    training_counts,
)
from ..measures.documents import document_kpis
from ..measures.hotline import channel_kpis, hotline_kpis, prepare_tickets
from .indicators import compute_indicators, is_assessed
from .penalties import compute_penalties, settlement


def data_quality(ds: DataSet) -> dict:
    """Reconciliation over every file read from the folder (not only the period)."""
    files = ds.files
    return {
        "files": len(files),
        "rows_read": sum(f.rows_read for f in files),
        "accepted_rows": sum(f.accepted for f in files),
        "quarantined_rows": sum(f.quarantined for f in files),
        "dropped_rows": sum(f.dropped for f in files),
        "duplicate_rows": sum(f.dropped_duplicate for f in files),
        "warnings": sum(f.warnings for f in files),
        "ignored_files": len(ds.ignored),
    }


def compute_kpis(ds: DataSet, period: Period, contract: bool = True) -> dict:
    """Every section-4 key for ``period``.

    With ``contract`` (the default) it adds ``indicators`` (A1–A21),
    ``penalties`` (B1–B11 charged in the period, with the settlement of the
    deductions from the service start to the cut-off) and ``flags``.
    """
    settings = ds.settings
    cal = calendar_for(settings)
    tickets = prepare_tickets(ds["tickets"], settings, cal)
    basic = settings.basic_satisfied_counts
    all_channels, by_channel = channel_kpis(tickets, period, basic)
    out = {
        "period": period.to_dict(),
        "hotline": hotline_kpis(tickets, period, basic),
        "all_channels": all_channels,
        "by_channel": by_channel,
        "outlet_inspections": outlet_inspection_counts(ds["outlet_inspections"], period),
        "phone_checks": phone_check_counts(ds["phone_checks"], period),
        "trainings": training_counts(ds["trainings"], period),
        "publications": publication_counts(ds["publications"], period),
        "guide_checks": guide_check_counts(ds["guide_checks"], period),
        "documents": document_kpis(ds["documents"], period, settings, cal, ds["deliverables"] if ds.has("deliverables") else None),
        "data_quality": data_quality(ds),
    }
    if contract:
        out["indicators"] = compute_indicators(ds, period, out, cal)
        pen = compute_penalties(ds, period, out["indicators"], cal)
        out["flags"] = pen.pop("flags")
        out["turnover"] = pen.pop("turnover")
        to_date = pen["total_yuan"] if period.start <= settings.start else _deductions_to_date(ds, period, cal)
        pen["settlement"] = settlement(settings.price_yuan, to_date)
        out["penalties"] = pen
    return out


def _deductions_to_date(ds: DataSet, period: Period, cal) -> float:
    """Deductions charged from the service start to the period's cut-off (B1 once the year is assessed)."""
    settings = ds.settings
    last = min(period.end, settings.end)
    span = Period("service-to-date", settings.start, max(last, settings.start), period.as_of)
    ind = compute_indicators(ds, span, compute_kpis(ds, span, contract=False), cal) if is_assessed(span, settings, cal) else {}
    return compute_penalties(ds, span, ind, cal)["total_yuan"]
