"""sscard_analysis: ledgers, KPIs, contract indicators and deductions, and reports for the
Guangzhou social security card service contract.

Public API (everything else is reached through its module):
"""

import importlib

# Each public name and the module it lives in; imported on first use (PEP 562), so ``sscard --help`` or a
# report's first step (starting its kernel) does not wait for pandas and the contract code.
_EXPORTS = {
    "Settings": "config", "SettingsError": "config", "load_settings": "config",
    "compute_alerts": "contract.alerts", "compute_indicators": "contract.indicators", "compute_kpis": "contract.kpi",
    "compute_penalties": "contract.penalties",
    "CalendarError": "dates.calendar", "WorkCalendar": "dates.calendar", "calendar_for": "dates.calendar",
    "Period": "dates.periods", "PeriodError": "dates.periods", "parse_period": "dates.periods",
    "LEDGERS": "ingest.ledgers", "mask_frame": "ingest.ledgers",
    "DataSet": "ingest.reader", "FatalInputError": "ingest.reader", "load": "ingest.reader",
    "mask_id": "privacy", "mask_name": "privacy", "mask_phone": "privacy", "scrub_text": "privacy",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
