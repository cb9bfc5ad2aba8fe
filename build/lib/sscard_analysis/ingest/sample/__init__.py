"""Deterministic sample data: a contract year of messy exports for every ledger.

:func:`write_sample` writes one service year of the exports a deployment
receives (DATA_CONTRACT.md section 2) into a folder, as they look in
practice (section 1, BAD_INPUTS.md): Chinese file names and headers, a
merged title banner and a trailing 合计 row in the monthly ticket files,
Excel datetimes mixed with a few text dates, a handful of damaged rows per
ticket file, two ledgers as CSV (UTF-8 with BOM, GBK), plus ``sscard.toml``.

The content reads like a real contract year (tickets.py has the details): ticket
text fitting its type and category, a calendar-driven volume (Spring Festival
trough and return peak, school-term student cards, month-end medical insurance,
调休 days working), the July 15-19 card-activation outage, repeat callers,
不满意 with its reasons (extra column 回访备注) and 申诉; weak banks and faulty
outlets (world.py) show in the tickets, the inspections, the phone checks and the
complaints alike; the PSAM ledger carries five planted inconsistent cards
(applications.INCONSISTENT_PSAM).

All personal data is fake: names are drawn from common characters, ID numbers
are random with a valid GB 11643 check digit, phone numbers are random. The
same seed gives the same content, byte for byte for CSV and cell for cell
for xlsx (document properties are fixed).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np

from ..ledgers import LEDGERS
from .activity import (
    write_deliverables,
    write_documents,
    write_guide_checks,
    write_publications,
    write_trainings,
)
from .applications import write_app_inspections, write_applications, write_psam
from .base import Calendar, add_months, write_xlsx
from .outlets import (
    write_complaints,
    write_outlet_inspections,
    write_outlets,
    write_phone_checks,
)
from .staff import (
    make_staff,
    staff_table,
    write_attendance,
    write_errors,
    write_pm_duties,
    write_support,
)
from .tickets import write_tickets
from .world import make_world

__all__ = ["write_sample"]

def _write_toml(out_dir: Path, start: date, end: date) -> None:
    text = (
        "[contract]\n"
        f"start = {start.isoformat()}\n"
        f"end = {end.isoformat()}\n"
        "price_yuan = 4980000\n"
        "promised_turnover_rate = 0.10\n"
    )
    (out_dir / "sscard.toml").write_text(text, encoding="utf-8")


def write_sample(out_dir: Path, seed: int = 0, start: date = date(2024, 3, 1), end: date | None = None,
                 tickets_per_month: int = 10000) -> dict[str, int]:
    """Write a deterministic contract year of exports for every ledger.

    Parameters
    ----------
    out_dir : folder to write into (created if missing). Existing files of the
        same names are overwritten; nothing else is touched.
    seed : random seed; the same seed (and arguments) gives the same content.
    start : first day of the service period.
    end : last day of the service period; default ``start`` + 12 months - 1 day.
    tickets_per_month : tickets of all channels in an average month, repeat
        calls included, before the July outage adds its own (about 65% are
        12345热线; months vary with the calendar).

    Returns
    -------
    dict[str, int]
        Ledger name -> data rows written (header, banner and 合计 rows excluded;
        damaged and duplicate rows included), for all 18 ledgers.

    Notes
    -----
    Files are named with the ledger's Chinese name or alias as prefix; tickets
    come one file per calendar month (``工单台账2024年03月.xlsx``).
    ``电话巡检记录.csv`` is UTF-8 with BOM and ``服务指引检查记录.csv`` is GBK.
    Ticket closures and document submissions that would happen after ``end``
    are left out, as in an export taken at the end of the period; the reports
    covering the last week, month and quarter (and the annual report) are in,
    dated on their due day after ``end`` (the end of the first working day
    after the period they cover), as in an export taken that day. Ticket files
    carry the extra column 回访备注 after the ledger's columns. ``sscard.toml`` records
    the period, a bid price of 4,980,000 yuan and a promised turnover rate of 10%.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if end is None:
        end = add_months(start, 12) - timedelta(days=1)
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    cal = Calendar(start - timedelta(days=400), end + timedelta(days=120))

    def sub(k: int) -> np.random.Generator:
        # An independent stream per ledger: changing one ledger leaves the others alone.
        return np.random.default_rng([seed, k])

    people = make_staff(sub(1), cal, start, end)
    counts: dict[str, int] = {}
    counts["staff"] = write_xlsx(out_dir / "人员名册.xlsx", staff_table(people), "人员名册",
                                  [9, 9, 28, 7, 9, 12, 16, 12, 7, 9, 16, 14, 14])
    outlet_rows, outlets = write_outlets(out_dir, sub(3), start, end)
    counts["outlets"] = outlet_rows
    world = make_world(sub(19), cal, start, end, outlets)
    counts["tickets"], facts = write_tickets(out_dir, sub(2), cal, start, end, tickets_per_month, people, outlets, world)
    counts["outlet_inspections"] = write_outlet_inspections(out_dir, sub(4), cal, start, end, outlets, people, world,
                                                            facts.first_complaint)
    counts["phone_checks"] = write_phone_checks(out_dir, sub(5), cal, start, end, outlets, people, world)
    counts["trainings"] = write_trainings(out_dir, sub(6), cal, start, end, people)
    counts["publications"] = write_publications(out_dir, sub(7), cal, start, end)
    counts["guide_checks"] = write_guide_checks(out_dir, sub(8), cal, start, end, people)
    counts["documents"] = write_documents(out_dir, sub(9), cal, start, end)
    apps = write_applications(out_dir, sub(10), cal, start, end)
    counts["applications"] = len(apps.ids)
    # The incident report on the outage goes in the day after it started.
    spike_day = cal.day(cal.nth_after(int(facts.outage[0]), 1)) if len(facts.outage) else None
    counts["deliverables"] = write_deliverables(out_dir, sub(11), cal, start, end, apps.feasibility_days, spike_day)
    counts["attendance"] = write_attendance(out_dir, sub(12), cal, start, end, people)
    counts["errors"] = write_errors(out_dir, sub(13), start, end, people)
    counts["complaints"] = write_complaints(out_dir, sub(14), cal, start, end, people, outlets, world)
    counts["pm_duties"] = write_pm_duties(out_dir, sub(15), start, end)
    counts["support_records"] = write_support(out_dir, sub(16), cal, start, end)
    counts["app_inspections"] = write_app_inspections(out_dir, sub(17), cal, start, end, apps)
    counts["psam_cards"] = write_psam(out_dir, sub(18), cal, start, end, apps)
    _write_toml(out_dir, start, end)
    return {name: counts[name] for name in LEDGERS}
