"""Reader cases from the hostile-input review (issue 13): dates far out, personal data in
file names and odd columns, counts no number type holds, data on the second sheet, linked
folders, re-exports of the same rows, and a parse cache that holds personal data.

Each test builds its folder inline and asserts hand-computed results (the value and why
are in the comments).
"""

from __future__ import annotations

import os
import stat
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from sscard_analysis.cli import main as cli_main
from sscard_analysis.ingest.reader import FatalInputError, load
from test_io import HEAD, ID_A, TS, assert_no_personal_data, assert_reconciled, read, rec, tickets, trow, write_csv, write_xlsx

pytestmark = pytest.mark.usefixtures("sscard_cache")


# ---------------------------------------------------------------- 13.3: dates far out


def test_dates_outside_the_service_window_or_the_calendar_are_quarantined(data_dir):
    # Default contract 2024-03-01 .. 2025-02-28: dates from 2023-03-01 to 2026-02-28 are accepted
    # (a year either side); the package calendar covers 2004-2026.
    write_xlsx(data_dir / "tickets.xlsx", [
        [*HEAD, "办结时间"],
        trow("T1", "12345热线", "2024-05-06 09:00", "咨询", "2024-05-07 10:00"),  # fine
        trow("T2", "12345热线", "2042-05-10", "咨询"),  # 16 years out
        trow("T3", "12345热线", "1999-01-01", "咨询"),  # far before
        trow("T4", "12345热线", datetime(1899, 12, 30), "咨询"),  # an Excel zero date (serial 0)
        trow("T5", "12345热线", "1900-01-00", "咨询"),  # Excel's own text for day 0
        trow("T6", "12345热线", "2023-02-28", "咨询"),  # one day more than a year before the start
        trow("T7", "12345热线", "2026-02-28 23:00", "咨询"),  # the last day of the window
        trow("T8", "12345热线", "2024-05-06", "咨询", "2042-01-01"),  # optional column: blanked and warned
    ])
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.rows_read, r.accepted, r.quarantined) == (8, 3, 5)
    q = ds.quarantine.set_index("row")["reason"]
    assert q.index.tolist() == [3, 4, 5, 6, 7]  # Excel rows of T2..T6
    assert (ds.quarantine["file"] == "tickets.xlsx").all() and (ds.quarantine["sheet"] == "Sheet1").all()
    for reason in q:
        assert reason.startswith("受理时间(received_at): ")
    assert "2042-05-10" in q[3] and "超出服务期前后一年（2023-03-01 至 2026-02-28）" in q[3]
    assert "1999-01-01" in q[4]
    assert "Excel 零值日期" in q[5]
    assert "无法识别的日期" in q[6] and "1900-01-00" in q[6]  # day 0 is no date at all
    assert "2023-02-28" in q[7]
    f = tickets(ds)
    assert f["received_at"].to_dict() == {"T1": TS("2024-05-06 09:00"), "T7": TS("2026-02-28 23:00"), "T8": TS("2024-05-06")}
    assert pd.isna(f.loc["T8", "closed_at"])
    w = ds.warnings
    assert w[["row", "column"]].values.tolist() == [[9, "closed_at"]]
    assert "2042-01-01" in w["reason"].iloc[0] and w["reason"].iloc[0].endswith("已置空")
    for reason in list(q) + list(w["reason"]):
        assert "\n" not in reason


def test_window_follows_the_contract_and_the_calendar_years_in_sscard_toml(data_dir):
    # Contract 2041-06-01 .. 2042-05-31 (window 2040-06-01 .. 2043-05-31); the calendar knows 2041
    # (sscard.toml) but not 2042, so a 2042 date is outside the calendar's years.
    (data_dir / "sscard.toml").write_text("[contract]\nstart = 2041-06-01\n\n[calendar]\nyears = [2041]\n", encoding="utf-8")
    write_xlsx(data_dir / "tickets.xlsx", [HEAD, trow("T1", "12345热线", "2041-07-01 09:00"), trow("T2", "12345热线", "2042-03-02 09:00"),
                                           trow("T3", "12345热线", "2040-05-31 09:00")])
    ds = read(data_dir)
    assert tickets(ds).index.tolist() == ["T1"]
    q = ds.quarantine.set_index("row")["reason"]
    assert "不在工作日历覆盖的年份" in q[3] and "sscard.toml [calendar]" in q[3] and "2042" in q[3]
    assert "超出服务期前后一年（2040-06-01 至 2043-05-31）" in q[4]

    # The same file under settings that add 2042: read again, not taken from the cache of the first reading.
    (data_dir / "sscard.toml").write_text("[contract]\nstart = 2041-06-01\n\n[calendar]\nyears = [2041, 2042]\n", encoding="utf-8")
    ds = load(data_dir, use_cache=True)
    assert_reconciled(ds)
    assert sorted(tickets(ds).index) == ["T1", "T2"]


def test_reference_dates_may_lie_years_before_the_service(data_dir):
    # An outlet opened in 2008 is fine; an Excel zero date there is not (optional: blanked, warned).
    write_xlsx(data_dir / "outlets.xlsx", [["网点编号", "网点名称", "所属银行", "所属区", "启用日期"],
                                           ["WD1", "天河支行", "工行", "天河", "2008-03-01"],
                                           ["WD2", "越秀支行", "工行", "越秀", datetime(1899, 12, 30)]])
    ds = read(data_dir)
    f = ds.frames["outlets"].set_index("outlet_id")
    assert f.loc["WD1", "opened_on"] == TS("2008-03-01")
    assert pd.isna(f.loc["WD2", "opened_on"])
    assert ds.warnings[["row", "column"]].values.tolist() == [[3, "opened_on"]]
    assert "Excel 零值日期" in ds.warnings["reason"].iloc[0]


def test_validate_exits_1_for_a_date_far_out(data_dir, tmp_path, capsys):
    write_xlsx(data_dir / "tickets.xlsx", [HEAD, trow("T1"), trow("T2", "12345热线", "2042-05-10")])
    assert cli_main(["validate", "--data", str(data_dir), "--out", str(tmp_path / "q"), "--no-cache"]) == 1
    out = pd.read_csv(tmp_path / "q" / "quarantine.csv", encoding="utf-8-sig")
    assert out["行号"].tolist() == [3]


# ---------------------------------------------------------------- 13.9: counts no number type holds


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_huge_and_infinite_counts_are_quarantined_or_blanked_never_a_crash(data_dir, fmt):
    # errors.volume is a required whole number: inf, 1e19 and a 20-digit number quarantine the row;
    # trainings.attendees is optional: the same values are blanked with a warning.
    big = "12345678901234567890"
    err_rows = [["工号", "月份", "业务量", "差错笔数"], ["S1", "2024-05", 100, 1], ["S2", "2024-05", "inf", 0],
                ["S3", "2024-05", 1e19 if fmt == "xlsx" else "1e19", 0], ["S4", "2024-05", big, 0], ["S5", "2024-05", "-inf", 0]]
    tr_rows = [["编号", "日期", "类型", "人数"], ["P1", "2024-05-06", "宣讲", "inf"], ["P2", "2024-05-07", "宣讲", big],
               ["P3", "2024-05-08", "宣讲", 12]]
    if fmt == "xlsx":
        write_xlsx(data_dir / "差错.xlsx", err_rows)
        write_xlsx(data_dir / "培训.xlsx", tr_rows)
    else:
        write_csv(data_dir / "差错.csv", err_rows, "utf-8")
        write_csv(data_dir / "培训.csv", tr_rows, "utf-8")
    ds = read(data_dir)
    errors = ds.frames["errors"]
    assert errors["staff_id"].tolist() == ["S1"] and errors["volume"].tolist() == [100]
    q = ds.quarantine[ds.quarantine["ledger"] == "errors"]
    assert q["row"].tolist() == [3, 4, 5, 6]
    assert all(r.startswith("业务量(volume): 不是有效数字或超出范围") for r in q["reason"])
    trainings = ds.frames["trainings"].set_index("training_id")
    assert trainings["attendees"].tolist() == [pd.NA, pd.NA, 12]
    assert str(trainings["attendees"].dtype) == "Int64"
    w = ds.warnings[ds.warnings["ledger"] == "trainings"]
    assert w[["row", "column"]].values.tolist() == [[2, "attendees"], [3, "attendees"]]


# ---------------------------------------------------------------- 13.7: data silently ignored


def test_blank_first_sheet_and_data_on_sheet2(data_dir):
    write_xlsx(data_dir / "tickets.xlsx", [], sheet="Sheet1", extra_sheets=[("Sheet2", [HEAD, trow("T1"), trow("T2")])])
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.sheet, r.rows_read, r.accepted) == ("Sheet2", 2, 2)
    assert tickets(ds).index.tolist() == ["T1", "T2"]


def test_two_sheets_with_the_ledgers_headers_is_one_fatal_line_naming_both(data_dir):
    write_xlsx(data_dir / "tickets.xlsx", [HEAD, trow("T1")], sheet="5月", extra_sheets=[("6月", [HEAD, trow("T2")])])
    with pytest.raises(FatalInputError) as exc:
        load(data_dir, use_cache=False)
    msg = str(exc.value)
    assert "tickets.xlsx" in msg and "“5月”和“6月”" in msg and "\n" not in msg


def test_a_sheet_named_after_the_ledger_wins_over_other_sheets_with_headers(data_dir):
    write_xlsx(data_dir / "tickets.xlsx", [HEAD, trow("T1")], sheet="5月", extra_sheets=[("工单台账", [HEAD, trow("T2")])])
    ds = read(data_dir)
    assert (rec(ds, "tickets.xlsx").sheet, tickets(ds).index.tolist()) == ("工单台账", ["T2"])


def test_linked_folders_are_followed_once_and_loops_do_not_hang(data_dir, tmp_path):
    outside = tmp_path / "elsewhere"
    write_xlsx(outside / "tickets_06.xlsx", [HEAD, trow("T6")])
    write_xlsx(data_dir / "2024-05" / "tickets_05.xlsx", [HEAD, trow("T5")])
    (data_dir / "june").symlink_to(outside, target_is_directory=True)  # a linked folder: read
    (data_dir / "again").symlink_to(data_dir / "2024-05", target_is_directory=True)  # the same folder twice: once
    (data_dir / "2024-05" / "up").symlink_to(data_dir, target_is_directory=True)  # a loop: guarded
    ds = read(data_dir)
    assert sorted(r.file for r in ds.files) == [str(Path("2024-05") / "tickets_05.xlsx"), str(Path("june") / "tickets_06.xlsx")]
    assert sorted(tickets(ds).index) == ["T5", "T6"]


def _export(path: Path, exported: str | None, rows: list, mtime: float) -> None:
    title = [[f"导出时间：{exported}"]] if exported else [["工单台账"]]
    write_xlsx(path, title + [HEAD] + rows)
    os.utime(path, (mtime, mtime))


def test_newer_export_wins_by_the_export_time_in_the_title(data_dir):
    # "…05月_旧.xlsx" sorts after "…05月.xlsx" and was touched last, but its title says it was exported
    # on 2024-05-20, before the current export (2024-06-01 10:00): the current export wins T2.
    _export(data_dir / "工单台账2024年05月.xlsx", "2024-06-01 10:00", [trow("T1"), trow("T2", "12345热线", "2024-05-06 09:00", "投诉")], 1_700_000_000)
    _export(data_dir / "工单台账2024年05月_旧.xlsx", "2024-05-20 09:00", [trow("T2", "12345热线", "2024-05-06 09:00", "咨询"), trow("T3")], 1_800_000_000)
    ds = read(data_dir)
    f = tickets(ds)
    assert sorted(f.index) == ["T1", "T2", "T3"]
    assert f.loc["T2", "ticket_type"] == "投诉" and f.loc["T2", "_file"] == "工单台账2024年05月.xlsx"
    old = rec(ds, "工单台账2024年05月_旧.xlsx")
    assert (old.rows_read, old.accepted, old.dropped_duplicate, old.warnings) == (2, 1, 1, 1)
    assert old.exported_at == "2024-05-20 09:00:00"
    w = ds.warnings.iloc[0]
    assert (w["file"], w["row"], w["column"]) == ("工单台账2024年05月_旧.xlsx", 3, "ticket_id")
    assert "工单台账2024年05月.xlsx" in w["reason"] and "工单台账2024年05月_旧.xlsx" in w["reason"]  # both files named
    assert "导出时间 2024-06-01 10:00" in w["reason"] and "\n" not in w["reason"]


def test_newer_export_wins_by_modification_time_and_identical_repeats_stay_quiet(data_dir):
    # No export time in either title: the file modified last wins, whatever the path order.
    _export(data_dir / "tickets_b.xlsx", None, [trow("T1", "12345热线", "2024-05-06 09:00", "投诉"), trow("T2")], 1_700_000_000)
    _export(data_dir / "tickets_a.xlsx", None, [trow("T1", "12345热线", "2024-05-06 09:00", "咨询"), trow("T2")], 1_700_086_400)
    ds = read(data_dir)
    f = tickets(ds)
    assert f.loc["T1", "ticket_type"] == "咨询" and f.loc["T1", "_file"] == "tickets_a.xlsx"
    b = rec(ds, "tickets_b.xlsx")
    assert (b.accepted, b.dropped_duplicate, b.warnings) == (0, 2, 1)  # T1 conflicts (warned), T2 is the same row (quiet)
    assert ds.warnings["row"].tolist() == [3]


# ---------------------------------------------------------------- 13.4: personal data in messages and the cache


def test_names_of_skipped_files_and_echoed_values_are_scrubbed(data_dir):
    secret_file = "张三丰_13812345678_440106199001011234.pdf"
    (data_dir / secret_file).write_bytes(b"%PDF-1.4")
    write_xlsx(data_dir / "tickets.xlsx", [[*HEAD, "所属区", "涉及银行"],
                                           trow("T1", "张三", "2024-05-06", "咨询"),  # a name in a required enumeration
                                           trow("T2", "12345热线", "2024-05-06", "咨询", "李四丰", f"王五 {ID_A}")])
    ds = read(data_dir)
    assert ds.ignored == [("张**_138****5678_**************1234.pdf", "不支持的文件类型 .pdf")]
    assert "“张*”" in ds.quarantine["reason"].iloc[0]
    assert "“李**”" in ds.warnings.set_index("column").loc["district", "reason"]
    texts = [f for f, _ in ds.ignored] + list(ds.quarantine["reason"]) + list(ds.warnings["reason"])
    assert_no_personal_data(texts, [secret_file, "张三丰", "张三", "李四丰", "王五", ID_A, "13812345678"])


def test_parse_cache_is_private_one_folder_per_data_folder_and_pruned(data_dir, sscard_cache, tmp_path):
    write_xlsx(data_dir / "tickets.xlsx", [[*HEAD, "身份证号"], trow("T1", "12345热线", "2024-05-06", "咨询", ID_A)])
    other = tmp_path / "other"
    write_xlsx(other / "tickets.xlsx", [HEAD, trow("T9")])
    load(data_dir, use_cache=True)
    load(other, use_cache=True)
    folders = sorted(p for p in sscard_cache.iterdir())
    assert len(folders) == 2 and all(p.is_dir() for p in folders)  # one per data folder
    for folder in folders:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        entries = list(folder.iterdir())
        assert sorted(p.suffix for p in entries) == [".json", ".parquet"]
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in entries)
    # The file changes: its old entry goes, the other folder's entries stay.
    before = {p.name for f in folders for p in f.iterdir()}
    write_xlsx(data_dir / "tickets.xlsx", [HEAD, trow("T2")])
    load(data_dir, use_cache=True)
    after = {p.name for f in folders for p in f.iterdir()}
    assert len(after) == 4 and len(after & before) == 2  # two new entries replace the two stale ones


# ---------------------------------------------------------------- the fast reader and the cell-by-cell reader agree


def _messy_workbook(path: Path) -> None:
    rows = [
        ["2024年5月工单台账"],
        ["导出时间：2024-06-01 10:00"],
        [*HEAD, "身份证号", "联系电话", "办理时限", "办结时间", "所属区", "备注", "人数"],
        trow("T1", "12345", datetime(2024, 5, 6, 9, 30, 27, 600000), "咨询", ID_A, 13812345678, datetime(2024, 5, 8), 45420.75, "天河区", 12345.0, 3),
        trow("T2", "信访", "2024/5/7 14:03", "投诉", float(ID_A), "+86 138-1234-5678", "2024-05-09", "2024年5月9日 10:00", "深圳", "跟进中", "1,234"),
        trow("T3", 12345, 45419.5, "咨询", f" {ID_A.lower()} ", "020-87654321", 20240510, None, None, None, "很多"),
        trow("T4", "人民网", "2042-01-01", "咨询"),
        [None] * 4,
        trow("T3", 12345, 45419.5, "咨询", f" {ID_A.lower()} ", "020-87654321", 20240510, None, None, None, "很多"),
        ["合计：共 4 条"],
    ]
    write_xlsx(path, rows, merges=["A1:K1"])


def test_fast_reader_and_cell_by_cell_reader_give_the_same_result(data_dir, monkeypatch):
    import sscard_analysis.ingest.xlsx as X

    _messy_workbook(data_dir / "tickets.xlsx")
    fast = read(data_dir)

    def decline(data):
        raise X.Unsupported("test: read cell by cell")

    monkeypatch.setattr(X, "Book", decline)
    slow = read(data_dir)
    for name in fast.frames:
        pd.testing.assert_frame_equal(fast.frames[name], slow.frames[name], obj=name)
    pd.testing.assert_frame_equal(fast.quarantine, slow.quarantine)
    pd.testing.assert_frame_equal(fast.warnings, slow.warnings)
    assert fast.files == slow.files
    r = rec(fast, "tickets.xlsx")
    # T4's date is 16 years out; the second T3 repeats the first exactly; the blank row and 合计 are dropped.
    assert (r.rows_read, r.accepted, r.quarantined, r.dropped_blank, r.dropped_summary, r.dropped_duplicate) == (7, 3, 1, 1, 1, 1)
    assert r.exported_at == "2024-06-01 10:00:00"
    f = tickets(fast)
    assert f.loc["T1", "received_at"] == TS("2024-05-06 09:30:28")  # rounded to the second
    assert f.loc["T3", "received_at"] == TS("2024-05-07 12:00")  # serial 45419.5 (45413 is 2024-05-01)
    assert f.loc["T1", "due_at"] == TS("2024-05-08 23:59:59") and f.loc["T3", "due_at"] == TS("2024-05-10 23:59:59")
    assert pd.isna(f.loc["T2", "id_number"]) and f.loc["T3", "id_number"] == ID_A  # a number loses digits; text is tidied
    assert f["phone"].tolist() == ["13812345678", "13812345678", "02087654321"]
    assert f["人数"].tolist() == ["3", "1,234", "很多"]  # an extra column: kept as text
    assert f["备注"].tolist()[:2] == ["12345", "跟进中"] and pd.isna(f.loc["T3", "备注"])


def test_parse_workers_give_the_same_result_as_one_process(data_dir):
    for m in range(3):
        write_xlsx(data_dir / f"tickets_{m}.xlsx", [HEAD] + [trow(f"T{m}-{i}", "12345热线", f"2024-05-{i % 28 + 1:02d} 09:00") for i in range(40)])
    write_xlsx(data_dir / "tickets_x.xlsx", [HEAD, trow("T0-1", "信访平台")])
    one = load(data_dir, use_cache=False, workers=1)
    two = load(data_dir, use_cache=False, workers=2)
    assert_reconciled(two)
    for name in one.frames:
        pd.testing.assert_frame_equal(one.frames[name], two.frames[name], obj=name)
    assert one.files == two.files
    pd.testing.assert_frame_equal(one.warnings, two.warnings)
