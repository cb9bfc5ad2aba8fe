"""sscard_analysis: ledgers, KPIs, contract indicators and deductions, and reports for the
Guangzhou social security card service contract.

Public API (everything else is reached through its module):
"""

from .alerts import compute_alerts
from .calendar import CalendarError, WorkCalendar, calendar_for
from .config import Settings, SettingsError, load_settings
from .indicators import compute_indicators
from .io import DataSet, FatalInputError, load
from .kpi import compute_kpis
from .ledgers import LEDGERS
from .penalties import compute_penalties
from .periods import Period, PeriodError, parse_period
from .privacy import mask_frame, mask_id, mask_name, mask_phone, scrub_text

__all__ = [
    "CalendarError", "DataSet", "FatalInputError", "LEDGERS", "Period", "PeriodError", "Settings", "SettingsError",
    "WorkCalendar", "calendar_for", "compute_alerts", "compute_indicators", "compute_kpis", "compute_penalties", "load",
    "load_settings", "mask_frame", "mask_id", "mask_name", "mask_phone", "parse_period", "scrub_text",
]
