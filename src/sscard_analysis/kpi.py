"""The KPI object of ``sscard kpi`` (DATA_CONTRACT section 4).

:func:`compute_kpis` assembles, for one period, the fixed output keys other
tools rely on. Rates are fractions in [0, 1] (None when the denominator is 0);
counts are for the period unless the key says otherwise.
"""

from __future__ import annotations

from .activity import guide_check_counts, outlet_inspection_counts, phone_check_counts, publication_counts, training_counts
from .calendar import calendar_for
from .documents import document_kpis
from .hotline import channel_kpis, hotline_kpis, prepare_tickets
from .io import DataSet
from .periods import Period


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


def compute_kpis(ds: DataSet, period: Period) -> dict:
    """Every section-4 key for ``period`` (penalties are added by the contract engine)."""
    settings = ds.settings
    cal = calendar_for(settings)
    tickets = prepare_tickets(ds["tickets"], settings, cal)
    basic = settings.basic_satisfied_counts
    all_channels, by_channel = channel_kpis(tickets, period, basic)
    return {
        "period": period.to_dict(),
        "hotline": hotline_kpis(tickets, period, basic),
        "all_channels": all_channels,
        "by_channel": by_channel,
        "outlet_inspections": outlet_inspection_counts(ds["outlet_inspections"], period),
        "phone_checks": phone_check_counts(ds["phone_checks"], period),
        "trainings": training_counts(ds["trainings"], period),
        "publications": publication_counts(ds["publications"], period),
        "guide_checks": guide_check_counts(ds["guide_checks"], period),
        "documents": document_kpis(ds["documents"], period, settings, cal),
        "data_quality": data_quality(ds),
    }
