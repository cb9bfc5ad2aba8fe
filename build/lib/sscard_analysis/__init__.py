"""sscard_analysis: ledgers, KPIs, contract indicators and deductions, and reports for the
Guangzhou social security card service contract.

Public API (everything else is reached through its module):
"""

from .config import Settings, SettingsError, load_settings
from .contract.alerts import compute_alerts
from .contract.indicators import compute_indicators
from .contract.kpi import compute_kpis
from .contract.penalties import compute_penalties
from .dates.calendar import CalendarError, WorkCalendar, calendar_for
from .dates.periods import Period, PeriodError, parse_period
from .ingest.ledgers import LEDGERS, mask_frame
from .ingest.reader import DataSet, FatalInputError, load
from .privacy import mask_id, mask_name, mask_phone, scrub_text

__all__ = [
    "CalendarError", "DataSet", "FatalInputError", "LEDGERS", "Period", "PeriodError", "Settings", "SettingsError",
    "WorkCalendar", "calendar_for", "compute_alerts", "compute_indicators", "compute_kpis", "compute_penalties", "load",
    "load_settings", "mask_frame", "mask_id", "mask_name", "mask_phone", "parse_period", "scrub_text",
]
