"""Period labels in every usual form (deliverables ``covers``, B2 quarters) and service quarters past the fourth."""

from datetime import date, datetime

import openpyxl
import pytest

from sscard_analysis.config import Settings
from sscard_analysis.dates.periods import PeriodError, normalize_label, parse_period, service_quarters
from sscard_analysis.ingest.reader import load
from sscard_analysis.reporting.schedule import closed_periods


@pytest.mark.parametrize("text, label", [
    ("2024-W18", "2024-W18"), ("2024w8", "2024-W08"), ("2024年第18周", "2024-W18"), ("2024年18周", "2024-W18"),
    (" 2024 - W 18 ", "2024-W18"), ("2024-05", "2024-05"), ("2024-5", "2024-05"), ("2024/05", "2024-05"),
    ("2024.5", "2024-05"), ("2024年5月", "2024-05"), ("２０２４年５月", "2024-05"), ("202405", "2024-05"),
    ("2024-05-01 00:00:00", "2024-05"),  # Excel turns a typed 2024-05 into the 1st of May
    ("2024Q3", "2024-Q3"), ("2024-Q3", "2024-Q3"), ("2024年Q3", "2024-Q3"), ("2024年3季度", "2024-Q3"),
    ("2024年第3季度", "2024-Q3"), ("2024年第三季度", "2024-Q3"), ("2024年三季度", "2024-Q3"),
    ("contract-Q2", "contract-Q2"), ("contract", "contract"), ("2024年", "2024"),
    ("第18周", None), ("2024-13", None), ("2024-W54", None), ("2024-05-06", None), ("2024秋季", None), (None, None),
])
def test_normalize_label(text, label):
    assert normalize_label(text) == label


def test_service_longer_than_a_year_continues_its_quarters():
    # finding 13: 2024-03-01..2025-05-31 is 15 months: five quarters, the fifth 2025-03-01..2025-05-31
    s = Settings(start=date(2024, 3, 1), end=date(2025, 5, 31))
    assert [q[0] for q in service_quarters(s)] == ["contract-Q1", "contract-Q2", "contract-Q3", "contract-Q4", "contract-Q5"]
    p = parse_period("contract-Q5", s, now=datetime(2026, 1, 1))
    assert (p.start, p.end) == (date(2025, 3, 1), date(2025, 5, 31))
    with pytest.raises(PeriodError):
        parse_period("contract-Q6", s)
    # 14 months: the fifth quarter is the part quarter 2025-03-01..2025-04-30
    assert service_quarters(Settings(start=date(2024, 3, 1), end=date(2025, 4, 30)))[-1] == ("contract-Q5", date(2025, 3, 1), date(2025, 4, 30))
    assert ("quarterly", "contract-Q5") in closed_periods(s, date(2025, 6, 2))


def test_covers_normalised_before_duplicates_are_resolved(tmp_path, monkeypatch):
    # finding 11: the same report written once as 2024-05 and once as 2024年5月 in one file is an identical repeat
    # (dropped quietly), not a conflicting one (a warning); 2024年第18周 is 2024-W18; an unreadable period is kept as
    # written with a warning
    monkeypatch.setenv("SSCARD_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "data"
    data.mkdir()
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [["编号", "类型", "所属期间", "提交日期"],
                ["M5", "月报", "2024-05", "2024-06-03"],
                ["M5", "月报", "2024年5月", "2024-06-03"],
                ["W18", "周报", "2024年第18周", "2024-05-06"],
                ["X1", "周报", "上周", "2024-05-13"]]:
        ws.append(row)
    wb.save(data / "成果台账.xlsx")
    ds = load(data, use_cache=False)
    d = ds["deliverables"].set_index("deliverable_id")
    assert d["covers"].to_dict() == {"M5": "2024-05", "W18": "2024-W18", "X1": "上周"}
    (r,) = ds.files
    assert (r.rows_read, r.accepted, r.dropped_duplicate, r.warnings) == (4, 3, 1, 1)
    assert ds.warnings["reason"].iloc[0].startswith("所属期间: “上周” 不是可识别的期间")
