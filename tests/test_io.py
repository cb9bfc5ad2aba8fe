"""Tests for the ledger file reader (``sscard_analysis.ingest.reader``).

Each test builds a small data folder inline (xlsx written with openpyxl, csv
with an explicit encoding) and asserts exact, hand-computed results: counts,
parsed values, the Excel row numbers of quarantined rows and the column named
in each reason.  The cases follow DATA_CONTRACT.md section 1 and the 24-item
checklist of BAD_INPUTS.md (item numbers are quoted as ``BI n``).

Helpers used everywhere:

* :func:`read` loads a folder with ``use_cache=False`` and always checks the
  reconciliation rows_read == accepted + quarantined + dropped.
* :func:`assert_no_personal_data` checks that no message shows a full ID or
  phone number from the input.
"""

from __future__ import annotations

import csv
import hashlib
import io as _stdio
import os
import re
import tempfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sscard_analysis.ingest.reader as sio
from sscard_analysis.ingest import ledgers as L
from sscard_analysis.ingest.reader import FatalInputError, load
from sscard_analysis.privacy import id_check_digit

pytestmark = pytest.mark.usefixtures("sscard_cache")

# ---------------------------------------------------------------- helpers

HEAD = ["工单编号", "来源渠道", "受理时间", "诉求类型"]
TS = pd.Timestamp


def make_id(first17: str) -> str:
    """A resident ID number with a valid GB 11643 check digit."""
    return first17 + id_check_digit(first17)


ID_A = make_id("44010619900101123")  # check digit 5
ID_X = make_id("44010619900101118")  # check digit X
ID_B = make_id("44010619851231004")  # check digit 8
assert ID_X.endswith("X") and ID_A.endswith("5")


def fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


class XlError(str):
    """A cell written as an Excel error value (t="e") rather than as text."""


def _fill(ws, rows) -> None:
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row, start=1):
            if v is None:
                continue
            cell = ws.cell(r, c)
            cell.value = v
            # openpyxl turns "=..." into a formula and "#N/A" into an error cell:
            # plain strings must stay plain text, as they are in a real export.
            if isinstance(v, str) and not isinstance(v, XlError) and cell.data_type in ("f", "e"):
                cell.data_type = "s"
            if isinstance(v, XlError):
                cell.data_type = "e"


def write_xlsx(path: Path, rows, merges=(), sheet: str = "Sheet1", extra_sheets=(), epoch=None) -> Path:
    """Write ``rows`` (lists; None = no cell) to an xlsx; ``merges`` like "A1:D1"."""
    wb = openpyxl.Workbook()
    if epoch is not None:
        wb.epoch = epoch
    ws = wb.active
    ws.title = sheet
    _fill(ws, rows)
    for m in merges:
        ws.merge_cells(m)
    for name, more in extra_sheets:
        _fill(wb.create_sheet(name), more)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_csv(path: Path, rows, encoding: str, delimiter: str = ",") -> Path:
    buf = _stdio.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(
        [["" if v is None else v for v in r] for r in rows]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def trow(tid, channel="12345热线", received="2024-05-06 09:00", ttype="咨询", *more):
    return [tid, channel, received, ttype, *more]


def assert_reconciled(ds) -> None:
    """rows read = accepted + quarantined + dropped, per file and per ledger."""
    for r in ds.files:
        dropped = r.dropped_blank + r.dropped_summary + r.dropped_duplicate
        assert r.rows_read == r.accepted + r.quarantined + dropped, r
        assert r.reconciles(), r
        assert min(r.accepted, r.quarantined, r.dropped_blank, r.dropped_summary, r.dropped_duplicate) >= 0, r
        assert int((ds.quarantine["file"] == r.file).sum()) == r.quarantined, r
        assert int((ds.warnings["file"] == r.file).sum()) == r.warnings, r
    for name, frame in ds.frames.items():
        assert len(frame) == sum(r.accepted for r in ds.files if r.ledger == name), name
    summary = ds.summary()
    assert (summary["rows_read"] == summary["accepted"] + summary["quarantined"] + summary["dropped_blank"]
            + summary["dropped_summary"] + summary["dropped_duplicate"]).all()


def read(data_dir: Path):
    ds = load(data_dir, use_cache=False)
    assert_reconciled(ds)
    return ds


def rec(ds, file: str):
    (r,) = [r for r in ds.files if r.file == file]
    return r


def _messages(ds) -> list[str]:
    out = [str(x) for x in ds.quarantine["reason"]] + [str(x) for x in ds.warnings["reason"]]
    out += [n for r in ds.files for n in r.notes] + [why for _, why in ds.ignored]
    return out


def assert_no_personal_data(texts, secrets) -> None:
    """No text shows a secret, even with its separators removed."""
    for text in texts:
        flat = re.sub(r"[\W_]", "", text)
        for s in secrets:
            core = re.sub(r"[\W_]", "", str(s))
            assert str(s) not in text, (s, text)
            assert core not in flat, (s, text)


def vals(series) -> list:
    """Values of a column with every kind of missing value shown as None."""
    return [None if v is None or (not isinstance(v, (list, tuple)) and pd.isna(v)) else v for v in series]


def assert_same_values(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Same columns, same values (missing values compared as None); dtypes are checked elsewhere."""
    assert list(a.columns) == list(b.columns)
    for c in a.columns:
        assert vals(a[c]) == vals(b[c]), c


def extra_columns(frame: pd.DataFrame, ledger: L.Ledger = L.TICKETS) -> list[str]:
    """Columns of a frame that are neither the ledger's nor provenance (kept extra columns)."""
    known = {c.name for c in ledger.columns} | set(L.PROVENANCE)
    return [c for c in frame.columns if c not in known]


def tickets(ds) -> pd.DataFrame:
    return ds.frames["tickets"].set_index("ticket_id")


# ---------------------------------------------------------------- BI 1-2: layout above and inside the table


def test_title_banner_rows_above_header(data_dir):
    write_xlsx(
        data_dir / "tickets.xlsx",
        [
            ["2024年5月工单台账", None, None, None],
            [None],
            ["导出时间：2024-06-01", None, "单位：社保卡服务中心"],
            HEAD,
            trow("T1"),
            trow("T2"),
            trow("T3"),
        ],
        merges=["A1:D1"],
    )
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.header_row, r.title_rows) == (4, 3)
    assert (r.rows_read, r.accepted, r.quarantined, r.dropped) == (3, 3, 0, 0)
    f = ds.frames["tickets"]
    assert f["ticket_id"].tolist() == ["T1", "T2", "T3"]
    assert f["_row"].tolist() == [5, 6, 7]
    assert f["_file"].tolist() == ["tickets.xlsx"] * 3


def test_title_rows_above_header_in_csv(data_dir):
    write_csv(data_dir / "tickets.csv", [["2024年5月工单台账"], [], HEAD, trow("T1"), trow("T2", received="bad")], "utf-8")
    ds = read(data_dir)
    r = rec(ds, "tickets.csv")
    assert (r.header_row, r.title_rows, r.rows_read, r.accepted, r.quarantined) == (3, 2, 2, 1, 1)
    assert ds.quarantine["row"].tolist() == [5]
    assert ds.quarantine["sheet"].tolist() == [""]


def test_two_row_header_group_banner_over_required_columns(data_dir):
    # 工单编号/来源渠道/回访满意度 merged vertically; 受理信息 is a banner over 受理时间 + 诉求类型.
    write_xlsx(
        data_dir / "tickets.xlsx",
        [
            ["工单编号", "来源渠道", "受理信息", None, "回访满意度"],
            [None, None, "受理时间", "诉求类型", None],
            trow("T1", "12345热线", "2024-05-06 09:00", "咨询", "满意"),
            trow("T2", "信访平台", "2024-05-07 10:30", "投诉", "不满意"),
        ],
        merges=["A1:A2", "B1:B2", "C1:D1", "E1:E2"],
    )
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert r.header_row == 2
    assert (r.rows_read, r.accepted, r.quarantined, r.dropped) == (2, 2, 0, 0)
    f = tickets(ds)
    assert f["channel"].tolist() == ["12345热线", "信访平台"]
    assert f["received_at"].tolist() == [TS("2024-05-06 09:00"), TS("2024-05-07 10:30")]
    assert f["ticket_type"].tolist() == ["咨询", "投诉"]
    assert f["satisfaction"].tolist() == ["满意", "不满意"]
    assert f["_row"].tolist() == [3, 4]


@pytest.mark.parametrize(
    "merges",
    [["A1:A2", "B1:B2", "C1:C2", "D1:D2", "E1:F1"], ["E1:F1"]],
    ids=["required-headers-merged-vertically", "blank-under-required-headers"],
)
def test_two_row_header_group_banner_over_optional_columns(data_dir, merges):
    # 回访情况 is a banner over two sub-headers; the required headers are merged over both rows, or left blank below.
    write_xlsx(
        data_dir / "tickets.xlsx",
        [
            [*HEAD, "回访情况", None],
            [None, None, None, None, "回访满意度", "申诉结果"],
            trow("T1", "12345热线", "2024-05-06 09:00", "咨询", "满意", None),
            trow("T2", "12345热线", "2024-05-07 09:00", "投诉", "不满意", "申诉成功"),
        ],
        merges=merges,
    )
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.rows_read, r.accepted, r.quarantined, r.dropped) == (2, 2, 0, 0)
    f = tickets(ds)
    assert f["satisfaction"].tolist() == ["满意", "不满意"]
    assert vals(f["appeal"]) == [None, "申诉成功"]
    assert f["_row"].tolist() == [3, 4]
    assert ds.warnings.empty


def test_merged_cells_in_data_area_are_propagated(data_dir):
    write_xlsx(
        data_dir / "tickets.xlsx",
        [
            [*HEAD, "所属区", "业务类别"],
            ["T1", "12345", "2024-05-06 09:00", "咨询", "天河区", "申领"],
            ["T2", None, "2024-05-06 10:00", "投诉", None, "补换"],
            ["T3", None, "2024-05-06 11:00", "求助", None, "挂失"],
            ["T4", "信访平台", "2024-05-06 12:00", "咨询", "越秀", "密码"],
        ],
        merges=["B2:B4", "E2:E4"],
    )
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.rows_read, r.accepted, r.quarantined) == (4, 4, 0)
    f = tickets(ds)
    assert f["channel"].tolist() == ["12345热线", "12345热线", "12345热线", "信访平台"]
    assert f["district"].tolist() == ["天河", "天河", "天河", "越秀"]


def test_hidden_rows_and_columns_are_still_read(data_dir):
    path = write_xlsx(data_dir / "tickets.xlsx", [[*HEAD, "所属区"], trow("T1", "12345热线", "2024-05-06", "咨询", "天河"),
                                                  trow("T2"), trow("T3")])
    wb = openpyxl.load_workbook(path)
    wb.active.row_dimensions[3].hidden = True
    wb.active.column_dimensions["E"].hidden = True
    wb.save(path)
    ds = read(data_dir)
    f = tickets(ds)
    assert f.index.tolist() == ["T1", "T2", "T3"]
    assert vals(f["district"]) == ["天河", None, None]


def test_hidden_first_sheet_is_skipped_and_the_sheet_read_is_noted(data_dir):
    path = write_xlsx(
        data_dir / "tickets.xlsx",
        [["下拉选项"], ["12345热线"], ["信访平台"]],
        sheet="选项",
        extra_sheets=[("Sheet2", [HEAD, trow("T1")])],
    )
    wb = openpyxl.load_workbook(path)
    wb["选项"].sheet_state = "hidden"
    wb.active = 1
    wb.save(path)
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.sheet, r.rows_read, r.accepted) == ("Sheet2", 1, 1)
    assert any("Sheet2" in n for n in r.notes)


def test_sheet_named_after_ledger_is_preferred(data_dir):
    write_xlsx(
        data_dir / "tickets.xlsx",
        [["填表说明：请在第二个工作表填写"]],
        sheet="说明",
        extra_sheets=[("工单台账", [HEAD, trow("T1"), trow("T2")])],
    )
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert r.sheet == "工单台账"
    assert (r.rows_read, r.accepted) == (2, 2)
    assert ds.frames["tickets"]["_sheet"].tolist() == ["工单台账", "工单台账"]
    assert any("工单台账" in n for n in r.notes)  # several sheets: which one was read is noted


# ---------------------------------------------------------------- BI 3, 24: summary, footer and blank rows


def test_trailing_summary_footer_and_blank_rows_dropped_and_counted(data_dir):
    write_xlsx(
        data_dir / "tickets.xlsx",
        [
            HEAD,
            trow("T1"),
            [None, None, None, None],
            trow("T2"),
            trow("T3"),
            [None, None, None, None],
            ["合计", None, None, None],
            ["小计", None, "3"],
            ["总计", None, None, None],
            ["制表人：张三", None, "审核人：李四"],
        ],
    )
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.rows_read, r.accepted, r.quarantined) == (9, 3, 0)
    assert (r.dropped_blank, r.dropped_summary, r.dropped_duplicate) == (2, 4, 0)
    assert ds.frames["tickets"]["_row"].tolist() == [2, 4, 5]
    assert ds.quarantine.empty and ds.warnings.empty


@pytest.mark.parametrize(
    "summary_row",
    [
        ["合计", None, None, None],
        ["小计", None, None, None],
        ["总计：", None, None, None],
        ["合　计", None, None, None],  # U+3000 inside the word
        ["制表人：王五", None, None, None],
        [None, "合计", None, None],  # first non-empty cell is not in column A
    ],
    ids=["合计", "小计", "总计", "合　计", "制表人", "second-cell"],
)
def test_summary_row_forms(data_dir, summary_row):
    write_xlsx(data_dir / "tickets.xlsx", [HEAD, trow("T1"), trow("T2"), summary_row])
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.rows_read, r.accepted, r.quarantined, r.dropped_summary) == (3, 2, 0, 1)


@pytest.mark.parametrize(
    "text, mismatch",
    [("合计：共 5 条", True), ("合计：共 3 条", False), ("合计 共５条", True), ("总计共3件", False)],
)
def test_summary_row_count_checked_against_data_rows(data_dir, text, mismatch):
    write_xlsx(data_dir / "tickets.xlsx", [HEAD, trow("T1"), trow("T2"), [None] * 4, trow("T3"), [text]])
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.rows_read, r.accepted, r.dropped_blank, r.dropped_summary) == (5, 3, 1, 1)
    count_notes = [n for n in r.notes if "合计" in n or "实际" in n]
    if mismatch:
        assert len(count_notes) == 1
        assert "5" in count_notes[0] and "3" in count_notes[0] and "6" in count_notes[0]  # declared, read, Excel row
    else:
        assert count_notes == []


def test_summary_row_count_under_the_key_column(data_dir):
    write_xlsx(data_dir / "tickets.xlsx", [["序号", *HEAD], [1, *trow("T1")], [2, *trow("T2")], ["合计", 3]])
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.rows_read, r.accepted, r.dropped_summary) == (3, 2, 1)
    assert len(r.notes) == 1 and "3" in r.notes[0] and "2" in r.notes[0]
    assert vals(ds.frames["tickets"]["序号"]) == ["1", "2"]  # extra column kept as text


def test_ragged_csv_rows(data_dir):
    (data_dir / "tickets.csv").write_text(
        "工单编号,来源渠道,受理时间,诉求类型\nT1,12345,2024-05-06,咨询,多余\nT2,12345,2024-05-06\n\"T3\",12345,\"2024-05-06\",\"咨询\"\n",
        encoding="utf-8",
    )
    ds = read(data_dir)
    r = rec(ds, "tickets.csv")
    assert (r.rows_read, r.accepted, r.quarantined) == (3, 2, 1)
    assert ds.quarantine["row"].tolist() == [3]
    assert "ticket_type" in ds.quarantine["reason"].iloc[0]
    f = tickets(ds)
    assert f.index.tolist() == ["T1", "T3"]
    (extra,) = extra_columns(f)
    assert vals(f[extra]) == ["多余", None]  # a cell beyond the header is kept, not lost


# ---------------------------------------------------------------- BI 4: header variants


@pytest.mark.parametrize(
    "pos, header, column",
    [
        (0, "工单编号（必填）", "ticket_id"),
        (0, "工单编号(必填)", "ticket_id"),
        (0, "工单\u3000编号", "ticket_id"),
        (0, "工单\u00a0编号", "ticket_id"),
        (0, "工单\u200b编号", "ticket_id"),
        (0, "工单\n编号", "ticket_id"),
        (0, " 工单编号 ", "ticket_id"),
        (0, "工单号", "ticket_id"),
        (0, "编号", "ticket_id"),
        (0, "ticket_id", "ticket_id"),
        (0, "TICKET_ID", "ticket_id"),
        (1, "渠道", "channel"),
        (1, "来源渠道【下拉选择】", "channel"),
        (2, "来电时间", "received_at"),
        (2, "受理时间\r\n(年月日 时分)", "received_at"),
        (2, "Received_At", "received_at"),
        (3, "诉求分类", "ticket_type"),
        (3, "ｔｉｃｋｅｔ＿ｔｙｐｅ", "ticket_type"),
    ],
)
def test_header_variants(data_dir, pos, header, column):
    head = list(HEAD)
    head[pos] = header
    write_xlsx(data_dir / "tickets.xlsx", [head, trow("T1", "12345热线", "2024-05-06 09:00", "投诉")])
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.header_row, r.rows_read, r.accepted) == (1, 1, 1)
    expected = {"ticket_id": "T1", "channel": "12345热线", "received_at": TS("2024-05-06 09:00"), "ticket_type": "投诉"}
    f = ds.frames["tickets"]
    assert f.loc[0, column] == expected[column]
    assert extra_columns(f) == []


@pytest.mark.parametrize(
    "header, column, cell, expected",
    [
        ("回访结果", "satisfaction", "基本满意", "基本满意"),
        ("满意度（回访）", "satisfaction", "满意", "满意"),
        ("区域", "district", "海珠区", "海珠"),
        ("行政区", "district", "白云", "白云"),
        ("银行", "bank", "建行", "建设银行"),
        ("结案时间", "closed_at", "2024-05-07 10:00", TS("2024-05-07 10:00")),
        ("截止时间", "due_at", "2024-05-08", TS("2024-05-08 23:59:59")),
        ("来电人", "citizen_name", "欧阳娜娜", "欧阳娜娜"),
        ("证件号码", "id_number", ID_A, ID_A),
        ("来电号码", "phone", "13812345678", "13812345678"),
        ("问题描述", "content", "补卡进度", "补卡进度"),
        ("承办人", "handler", "S001", "S001"),
    ],
)
def test_optional_column_header_synonyms(data_dir, header, column, cell, expected):
    write_xlsx(data_dir / "tickets.xlsx", [[*HEAD, header], trow("T1", "12345热线", "2024-05-06 09:00", "咨询", cell)])
    ds = read(data_dir)
    assert ds.frames["tickets"].loc[0, column] == expected
    assert ds.warnings.empty


def test_english_names_reordered_columns_and_extra_column(data_dir):
    write_xlsx(
        data_dir / "tickets.xlsx",
        [
            ["received_at", "备注（内部）", "Ticket_Type", "CHANNEL", "ticket_id", "district"],
            ["2024-05-06 09:00", "跟进中", "投诉", "12345", "T1", "番禺区"],
            ["2024-05-07 10:00", None, "咨询", "人民网", "T2", "番禺"],
        ],
    )
    ds = read(data_dir)
    f = tickets(ds)
    assert f["received_at"].tolist() == [TS("2024-05-06 09:00"), TS("2024-05-07 10:00")]
    assert f["ticket_type"].tolist() == ["投诉", "咨询"]
    assert f["channel"].tolist() == ["12345热线", "人民网"]
    assert f["district"].tolist() == ["番禺", "番禺"]
    assert "备注（内部）" in f.columns  # the extra column is kept under its own header
    assert vals(f["备注（内部）"]) == ["跟进中", None]
    # the ledger's other columns exist (empty)
    for col in L.TICKETS.columns:
        assert col.name in ds.frames["tickets"].columns


def test_duplicate_header_is_noted_and_first_column_used(data_dir):
    write_xlsx(
        data_dir / "tickets.xlsx",
        [[*HEAD, "诉求内容", "诉求内容"], trow("T1", "12345热线", "2024-05-06 09:00", "咨询", "第一列", "第二列")],
    )
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.rows_read, r.accepted) == (1, 1)
    assert any("诉求内容" in n and "重复" in n for n in r.notes)
    f = ds.frames["tickets"]
    assert f.loc[0, "content"] == "第一列"
    extra = extra_columns(f)
    assert len(extra) == 1 and f.loc[0, extra[0]] == "第二列"  # the second column is kept, not lost


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_missing_required_column_is_fatal_naming_file_column_and_headers(data_dir, fmt):
    rows = [["2024年5月工单台账"], ["工单编号", "来源渠道", "诉求类型", "诉求内容"], ["T1", "12345热线", "咨询", "x"]]
    name = f"tickets_2024-05.{fmt}"
    if fmt == "xlsx":
        write_xlsx(data_dir / name, rows)
    else:
        write_csv(data_dir / name, rows, "utf-8")
    with pytest.raises(FatalInputError) as exc:
        load(data_dir, use_cache=False)
    msg = str(exc.value)
    assert name in msg
    assert "受理时间" in msg and "received_at" in msg
    for found in ("工单编号", "来源渠道", "诉求类型", "诉求内容"):
        assert found in msg
    for other_required in ("ticket_id", "channel", "ticket_type"):
        assert f"({other_required})" not in msg  # only the missing column is reported missing


# ---------------------------------------------------------------- BI 5-6: ID numbers


@pytest.mark.parametrize(
    "cell, expected, warned",
    [
        (ID_A, ID_A, False),
        (ID_X.lower(), ID_X, False),
        (fullwidth(ID_A), ID_A, False),
        (fullwidth(ID_X.lower()), ID_X, False),
        (f"{ID_A[:6]} {ID_A[6:14]} {ID_A[14:]}", ID_A, False),
        (" " + ID_B + " ", ID_B, False),
        ("'" + ID_A, ID_A, False),
        (float(ID_A), None, True),  # 4.40106199001011E+17: digits already lost
        (4.40106e17, None, True),
        (int(ID_B), None, True),  # an Excel number even when written exactly
        (ID_A[:17] + "7", None, True),  # wrong check digit
        (make_id("44010619901301123"), None, True),  # month 13
        (make_id("44010619900230123"), None, True),  # 30 February
        (make_id("44010620990101123"), None, True),  # born in the future
        ("440106900101123", "440106900101123", False),  # old 15-digit form
        ("440106901301123", None, True),  # old form, month 13
        ("A123456(7)", "A123456(7)", False),  # Hong Kong identity card
        ("1234567(8)", "1234567(8)", False),  # Macau identity card
        ("A123456789", "A123456789", False),  # Taiwan identity card
        ("H12345678", "H12345678", False),  # Mainland travel permit for Hong Kong/Macau residents
        ("12345", None, True),  # unrecognisable
    ],
)
def test_id_numbers(data_dir, cell, expected, warned):
    write_xlsx(data_dir / "tickets.xlsx", [[*HEAD, "身份证号"], trow("T1", "12345热线", "2024-05-06 09:00", "咨询", cell)])
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.rows_read, r.accepted, r.quarantined) == (1, 1, 0)  # the ticket is never dropped
    assert vals(ds.frames["tickets"]["id_number"]) == [expected]
    if warned:
        assert r.warnings == 1
        assert ds.warnings[["row", "column"]].values.tolist() == [[2, "id_number"]]
    else:
        assert r.warnings == 0
    secrets = [str(cell), ID_A, ID_B, ID_X, ID_A[:17], str(int(float(cell))) if isinstance(cell, float) else ID_A]
    assert_no_personal_data(_messages(ds), secrets)


# ---------------------------------------------------------------- BI 7: phone numbers


@pytest.mark.parametrize(
    "cell, expected, warned",
    [
        ("+86 138-1234-5678", "13812345678", False),
        ("+86 13812345678", "13812345678", False),
        ("0086 13812345678", "13812345678", False),
        ("86 13812345678", "13812345678", False),
        ("+86  13812345678", "13812345678", False),
        ("+86-13812345678", "13812345678", False),
        ("008613812345678", "13812345678", False),
        ("+86 138 1234 5678", "13812345678", False),
        ("138 1234 5678", "13812345678", False),
        ("１３８１２３４５６７８", "13812345678", False),
        (13812345678, "13812345678", False),  # stored as a number
        ("020-12345678", "02012345678", False),
        ("(020)87654321", "02087654321", False),
        ("1381234567", None, True),  # 10 digits
        ("138123456789", None, True),  # 12 digits
        ("13812345678/13987654321", "13812345678/13987654321", False),
        ("13812345678、020-87654321", "13812345678/02087654321", False),
        ("13812345678 13987654321", "13812345678/13987654321", False),
        ("13812345678，1398765432", None, True),  # second number malformed: blank the cell
    ],
)
def test_phone_numbers(data_dir, cell, expected, warned):
    write_xlsx(data_dir / "tickets.xlsx", [[*HEAD, "联系电话"], trow("T1", "12345热线", "2024-05-06 09:00", "咨询", cell)])
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.rows_read, r.accepted, r.quarantined, r.warnings) == (1, 1, 0, int(warned))
    assert vals(ds.frames["tickets"]["phone"]) == [expected]
    if warned:
        assert ds.warnings[["row", "column"]].values.tolist() == [[2, "phone"]]
    assert_no_personal_data(_messages(ds), [str(cell), "13812345678", "1381234567", "13987654321", "1398765432"])


# ---------------------------------------------------------------- BI 8: dates


@pytest.mark.parametrize(
    "cell, expected",
    [
        (datetime(2024, 3, 5, 14, 3), TS("2024-03-05 14:03")),
        (datetime(2024, 3, 5, 14, 3, 27, 600000), TS("2024-03-05 14:03:28")),  # rounded to the second
        (date(2024, 3, 5), TS("2024-03-05")),
        (45356, TS("2024-03-05")),
        (45356.5, TS("2024-03-05 12:00")),
        (45356 + 14 / 24 + 3 / 1440, TS("2024-03-05 14:03")),
        (45356.0000115, TS("2024-03-05 00:00:01")),  # 0.99 s rounds to 1 s
        ("45356", TS("2024-03-05")),
        ("45356.5", TS("2024-03-05 12:00")),
        ("2024年3月5日", TS("2024-03-05")),
        ("2024年3月5日 14:03", TS("2024-03-05 14:03")),
        ("2024.03.05", TS("2024-03-05")),
        ("2024.3.5 14:03:27", TS("2024-03-05 14:03:27")),
        ("2024/3/5 14:03", TS("2024-03-05 14:03")),
        ("2024/03/05", TS("2024-03-05")),
        ("2024-03-05", TS("2024-03-05")),
        ("2024-3-5 9:05", TS("2024-03-05 09:05")),
        ("2024-03-05 14:03:27", TS("2024-03-05 14:03:27")),
        ("20240305", TS("2024-03-05")),
        (20240305, TS("2024-03-05")),
        ("２０２４－０３－０５", TS("2024-03-05")),
        (" 2024-03-05 ", TS("2024-03-05")),
    ],
)
def test_received_at_date_forms(data_dir, cell, expected):
    write_xlsx(data_dir / "tickets.xlsx", [HEAD, trow("T1", "12345热线", cell, "咨询")])
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.accepted, r.quarantined) == (1, 0)
    assert ds.frames["tickets"].loc[0, "received_at"] == expected


def test_mixed_date_forms_in_one_column_and_bad_dates_quarantined(data_dir):
    rows = [
        HEAD,
        trow("T1", "12345热线", datetime(2024, 3, 5, 8, 30)),
        trow("T2", "12345热线", 45356.5),
        trow("T3", "12345热线", "#N/A"),  # text, as exports write it
        trow("T4", "12345热线", "2024年3月5日"),
        trow("T5", "12345热线", XlError("#N/A")),  # a real Excel error cell
        trow("T6", "12345热线", "2024.03.05"),
        trow("T7", "12345热线", "2024-02-30"),  # no such day
        trow("T8", "12345热线", "20240305"),
        trow("T9", "12345热线", "下周一"),
        trow("T10", "12345热线", "2024/3/5 14:03"),
        trow("T11", "12345热线", None),  # required date missing
    ]
    write_xlsx(data_dir / "tickets.xlsx", rows)
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.rows_read, r.accepted, r.quarantined) == (11, 6, 5)
    f = tickets(ds)
    assert f["received_at"].to_dict() == {
        "T1": TS("2024-03-05 08:30"), "T2": TS("2024-03-05 12:00"), "T4": TS("2024-03-05"),
        "T6": TS("2024-03-05"), "T8": TS("2024-03-05"), "T10": TS("2024-03-05 14:03"),
    }
    q = ds.quarantine
    assert q["row"].tolist() == [4, 6, 8, 10, 12]
    assert (q["file"] == "tickets.xlsx").all() and (q["ledger"] == "tickets").all() and (q["sheet"] == "Sheet1").all()
    for reason in q["reason"]:
        assert "received_at" in reason and "受理时间" in reason
    assert "#N/A" in q["reason"].iloc[0]
    assert "下周一" in q["reason"].iloc[3]


def test_mixed_date_forms_in_csv(data_dir):
    write_csv(
        data_dir / "tickets.csv",
        [HEAD, trow("T1", "12345", "45356"), trow("T2", "12345", "2024/3/5 14:03"), trow("T3", "12345", "#N/A"),
         trow("T4", "12345", "2024年3月5日"), trow("T5", "12345", "20240305")],
        "utf-8",
    )
    ds = read(data_dir)
    assert tickets(ds)["received_at"].to_dict() == {
        "T1": TS("2024-03-05"), "T2": TS("2024-03-05 14:03"), "T4": TS("2024-03-05"), "T5": TS("2024-03-05"),
    }
    assert ds.quarantine["row"].tolist() == [4]


@pytest.mark.parametrize(
    "cell, due, closed",
    [
        ("2024-03-05", TS("2024-03-05 23:59:59"), TS("2024-03-05")),
        ("2024年3月5日", TS("2024-03-05 23:59:59"), TS("2024-03-05")),
        ("20240305", TS("2024-03-05 23:59:59"), TS("2024-03-05")),
        (date(2024, 3, 5), TS("2024-03-05 23:59:59"), TS("2024-03-05")),
        (datetime(2024, 3, 5), TS("2024-03-05 23:59:59"), TS("2024-03-05")),
        (45356, TS("2024-03-05 23:59:59"), TS("2024-03-05")),
        ("2024-03-05 18:00", TS("2024-03-05 18:00"), TS("2024-03-05 18:00")),
        (datetime(2024, 3, 5, 18, 0), TS("2024-03-05 18:00"), TS("2024-03-05 18:00")),
        (45356.75, TS("2024-03-05 18:00"), TS("2024-03-05 18:00")),
    ],
)
def test_deadline_date_only_means_end_of_day(data_dir, cell, due, closed):
    write_xlsx(
        data_dir / "tickets.xlsx",
        [[*HEAD, "办理时限", "办结时间"], trow("T1", "12345热线", "2024-03-04", "咨询", cell, cell)],
    )
    ds = read(data_dir)
    f = ds.frames["tickets"]
    assert f.loc[0, "due_at"] == due
    assert f.loc[0, "closed_at"] == closed  # not a deadline: a date alone is 00:00
    assert f.loc[0, "received_at"] == TS("2024-03-04")


def test_documents_deadline_on_is_end_of_day(data_dir):
    write_xlsx(
        data_dir / "办文台账.xlsx",
        [["编号", "文件类型", "接收需求时间", "办理期限", "提交初稿时间"],
         ["D1", "来文办阅", "2024-05-06 09:00", "2024-05-08", "2024-05-08"]],
    )
    ds = read(data_dir)
    f = ds.frames["documents"]
    assert f.loc[0, "deadline_on"] == TS("2024-05-08 23:59:59")
    assert f.loc[0, "submitted_at"] == TS("2024-05-08")


def test_1904_date_system_workbook(data_dir):
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    path = write_xlsx(
        data_dir / "tickets.xlsx",
        [[*HEAD, "办理时限"], trow("T1", "12345热线", datetime(2024, 3, 5, 14, 3), "咨询", date(2024, 3, 8)),
         trow("T2", "12345热线", datetime(2024, 3, 6, 0, 0), "咨询", datetime(2024, 3, 9, 12, 0))],
        epoch=CALENDAR_MAC_1904,
    )
    import zipfile

    if b'date1904="1"' not in zipfile.ZipFile(path).read("xl/workbook.xml"):
        pytest.skip("openpyxl did not write a 1904-date workbook")
    ds = read(data_dir)
    f = tickets(ds)
    assert f["received_at"].tolist() == [TS("2024-03-05 14:03"), TS("2024-03-06")]
    assert f["due_at"].tolist() == [TS("2024-03-08 23:59:59"), TS("2024-03-09 12:00")]


# ---------------------------------------------------------------- BI 9-10, 21: duplicates


def test_identical_repeat_in_one_file_dropped_without_warning(data_dir):
    write_xlsx(data_dir / "tickets.xlsx", [HEAD, trow("T1"), trow("T2"), trow("T1"), trow("T1")])
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.rows_read, r.accepted, r.dropped_duplicate, r.warnings, r.quarantined) == (4, 2, 2, 0, 0)
    assert sorted(ds.frames["tickets"]["ticket_id"]) == ["T1", "T2"]
    assert ds.warnings.empty


def test_conflicting_repeat_in_one_file_warns_and_later_row_wins(data_dir):
    write_xlsx(
        data_dir / "tickets.xlsx",
        [HEAD, trow("T1", "12345热线", "2024-05-06 09:00", "咨询"), trow("T2"), trow("T1", "12345热线", "2024-05-06 09:00", "投诉")],
    )
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.rows_read, r.accepted, r.dropped_duplicate, r.warnings) == (3, 2, 1, 1)
    f = tickets(ds)
    assert f.loc["T1", "ticket_type"] == "投诉"
    assert f.loc["T1", "_row"] == 4
    w = ds.warnings.iloc[0]
    assert (w["file"], w["row"], w["column"]) == ("tickets.xlsx", 2, "ticket_id")
    assert "4" in w["reason"]  # names the row that wins


def test_same_key_in_two_files_last_path_wins(data_dir):
    write_xlsx(data_dir / "tickets_2024-05-01.xlsx", [HEAD, trow("T1"), trow("T2", "12345热线", "2024-05-01 09:00", "咨询")])
    write_xlsx(data_dir / "tickets_2024-05-15.xlsx", [HEAD, trow("T2", "12345热线", "2024-05-01 09:00", "投诉"), trow("T3")])
    ds = read(data_dir)
    old, new = rec(ds, "tickets_2024-05-01.xlsx"), rec(ds, "tickets_2024-05-15.xlsx")
    assert (old.rows_read, old.accepted, old.dropped_duplicate) == (2, 1, 1)
    assert (new.rows_read, new.accepted, new.dropped_duplicate) == (2, 2, 0)
    f = tickets(ds)
    assert sorted(f.index) == ["T1", "T2", "T3"]
    assert f.loc["T2", "ticket_type"] == "投诉"
    assert f.loc["T2", "_file"] == "tickets_2024-05-15.xlsx"
    assert f.loc["T1", "_file"] == "tickets_2024-05-01.xlsx"


def test_overlapping_reexports_in_subfolders_newer_export_wins(data_dir):
    june = write_xlsx(data_dir / "2024-06" / "tickets.xlsx", [HEAD, trow("T2", "信访平台"), trow("T3")])
    may = write_xlsx(data_dir / "2024-05" / "工单台账2024年5月.xlsx", [HEAD, trow("T1"), trow("T2", "人民网")])
    os.utime(may, (1717200000, 1717200000))  # 2024-06-01: the May export
    os.utime(june, (1719792000, 1719792000))  # 2024-07-01: the June re-export is newer and wins (review 13.7)
    ds = read(data_dir)
    f = tickets(ds)
    assert sorted(f.index) == ["T1", "T2", "T3"]
    assert f.loc["T2", "channel"] == "信访平台"
    assert f.loc["T2", "_file"] == str(Path("2024-06") / "tickets.xlsx")
    assert rec(ds, str(Path("2024-05") / "工单台账2024年5月.xlsx")).dropped_duplicate == 1


def test_ids_that_became_floats_read_as_integers(data_dir):
    write_xlsx(data_dir / "tickets_a.xlsx", [HEAD, trow(12345), trow(67890.0), trow(1.5)])
    write_csv(data_dir / "tickets_b.csv", [HEAD, trow("12345.0", "信访平台"), trow("00123")], "utf-8")
    ds = read(data_dir)
    f = tickets(ds)
    assert sorted(f.index) == ["00123", "1.5", "12345", "67890"]
    assert f.loc["12345", "_file"] == "tickets_b.csv"  # same key across files after "12345.0" -> "12345"
    assert f.loc["12345", "channel"] == "信访平台"
    assert rec(ds, "tickets_a.xlsx").dropped_duplicate == 1


def test_same_input_twice_gives_identical_frames(data_dir):
    write_xlsx(data_dir / "tickets.xlsx", [[*HEAD, "身份证号", "办理时限"], trow("T1", "12345", 45356.5, "咨询", ID_A, "2024-03-06")])
    a, b = read(data_dir), read(data_dir)
    pd.testing.assert_frame_equal(a.frames["tickets"], b.frames["tickets"])
    assert a.files == b.files


# ---------------------------------------------------------------- BI 11, 18: text encodings


@pytest.mark.parametrize(
    "name, encoding, delimiter, citizen, content",
    [
        ("tickets.csv", "gbk", ",", "张三", "社保卡金融功能激活咨询"),
        ("tickets.csv", "gb18030", ",", "𠀀明", "咨询䶮字姓名办卡"),
        ("tickets.csv", "utf-8", ",", "欧阳娜娜", "补换卡进度查询"),
        ("tickets.csv", "utf-8-sig", ",", "买买提·艾力", "长者饭堂刷卡"),
        ("tickets.txt", "utf-16", "\t", "李四", "乘车码无法使用"),
        ("tickets.csv", "utf-16", ",", "王五", "密码重置"),
        ("tickets.txt", "utf-8", "\t", "Chen Li", "照片回执"),
    ],
    ids=["gbk", "gb18030", "utf8", "utf8-bom", "utf16-tab", "utf16-comma", "utf8-tab"],
)
def test_text_file_encodings(data_dir, name, encoding, delimiter, citizen, content):
    if encoding == "gb18030":
        for ch in citizen[0] + "䶮":
            with pytest.raises(UnicodeEncodeError):
                ch.encode("gbk")  # really outside GBK
    write_csv(
        data_dir / name,
        [[*HEAD, "诉求人", "诉求内容", "所属区"],
         trow("T1", "12345热线", "2024年5月6日 9:00", "咨询", citizen, content, "天河区"),
         trow("T2", "信访平台", "2024/5/7", "投诉", "赵六", "挂失", "越秀")],
        encoding,
        delimiter,
    )
    ds = read(data_dir)
    r = rec(ds, name)
    assert (r.rows_read, r.accepted, r.quarantined, r.warnings) == (2, 2, 0, 0)
    f = tickets(ds)
    assert f.loc["T1", "citizen_name"] == citizen
    assert f.loc["T1", "content"] == content
    assert f["channel"].tolist() == ["12345热线", "信访平台"]
    assert f["district"].tolist() == ["天河", "越秀"]
    assert f["received_at"].tolist() == [TS("2024-05-06 09:00"), TS("2024-05-07")]


# ---------------------------------------------------------------- BI 12, 22: what the file really is


@pytest.mark.parametrize(
    "payload",
    [
        b"<html><head><meta charset='utf-8'></head><body><table><tr><td>\xe5\xb7\xa5\xe5\x8d\x95\xe7\xbc\x96\xe5\x8f\xb7</td></tr></table></body></html>",
        b"\xef\xbb\xbf\r\n  <!DOCTYPE html><html><body><table></table></body></html>",
        "<html><body><table><tr><td>x</td></tr></table></body></html>".encode("utf-16"),
        b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>',
    ],
    ids=["html", "html-bom", "html-utf16", "xml2003"],
)
def test_html_or_xml_saved_as_xls_is_fatal_naming_file(data_dir, payload):
    (data_dir / "tickets_2024-05.xls").write_bytes(payload)
    with pytest.raises(FatalInputError, match=re.escape("tickets_2024-05.xls")):
        load(data_dir, use_cache=False)


def test_tsv_saved_as_xls_is_read(data_dir):
    write_csv(data_dir / "tickets.xls", [HEAD, trow("T1"), trow("T2")], "utf-8", "\t")
    ds = read(data_dir)
    assert tickets(ds).index.tolist() == ["T1", "T2"]


def test_legacy_xls_with_exactly_65536_rows_is_noted(data_dir):
    xlwt = pytest.importorskip("xlwt")  # only way to write a real BIFF8 .xls
    wb = xlwt.Workbook()
    ws = wb.add_sheet("Sheet1")
    for c, h in enumerate(HEAD):
        ws.write(0, c, h)
    for i in range(1, 65536):
        for c, v in enumerate(trow(f"T{i}")):
            ws.write(i, c, v)
    wb.save(str(data_dir / "tickets.xls"))
    ds = read(data_dir)
    r = rec(ds, "tickets.xls")
    assert (r.rows_read, r.accepted) == (65535, 65535)
    assert any("65,536" in n or "65536" in n for n in r.notes)


ENCRYPTED = (
    bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 512
)


@pytest.mark.parametrize("name", ["tickets.xlsx", "tickets.xls", "工单台账.xlsx"])
def test_encrypted_workbook_is_fatal_naming_file(data_dir, name):
    (data_dir / name).write_bytes(ENCRYPTED)
    with pytest.raises(FatalInputError) as exc:
        load(data_dir, use_cache=False)
    assert name in str(exc.value)


@pytest.mark.parametrize(
    "payload",
    [b"PK\x03\x04" + b"\x00garbage" * 40, bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 1000],
    ids=["broken-zip", "broken-ole"],
)
def test_unreadable_workbook_is_fatal_naming_file(data_dir, payload):
    (data_dir / "tickets.xlsx").write_bytes(payload)
    with pytest.raises(FatalInputError, match="tickets.xlsx"):
        load(data_dir, use_cache=False)


def test_office_lock_file_ignored(data_dir):
    write_xlsx(data_dir / "tickets.xlsx", [HEAD, trow("T1")])
    (data_dir / "~$tickets.xlsx").write_bytes(b"\x05zhang san" + b"\x00" * 150)
    ds = read(data_dir)
    assert [f for f, _ in ds.ignored] == ["~$tickets.xlsx"]
    assert [r.file for r in ds.files] == ["tickets.xlsx"]
    assert tickets(ds).index.tolist() == ["T1"]


def test_unknown_named_file_assigned_by_headers(data_dir):
    write_xlsx(data_dir / "export_20240601.xlsx", [["2024年5月"], HEAD, trow("T1"), trow("T2")])
    ds = read(data_dir)
    r = rec(ds, "export_20240601.xlsx")
    assert r.ledger == "tickets"
    assert (r.header_row, r.rows_read, r.accepted) == (2, 2, 2)
    assert tickets(ds).index.tolist() == ["T1", "T2"]
    assert ds.ignored == []


def test_unknown_named_file_matching_no_ledger_is_listed_as_ignored(data_dir):
    write_xlsx(data_dir / "export.xlsx", [["姓名", "金额"], ["张三", 1]])
    write_xlsx(data_dir / "tickets.xlsx", [HEAD, trow("T1")])
    ds = read(data_dir)
    assert [f for f, _ in ds.ignored] == ["export.xlsx"]
    assert [r.file for r in ds.files] == ["tickets.xlsx"]


def test_unknown_named_file_matching_several_ledgers_is_listed_as_ignored(data_dir):
    # 编号 / 日期 / 类型 are the required headers of trainings, publications and support_records alike.
    write_xlsx(data_dir / "记录.xlsx", [["编号", "日期", "类型"], ["1", "2024-05-06", "宣讲"]])
    ds = read(data_dir)
    assert [f for f, _ in ds.ignored] == ["记录.xlsx"]
    why = ds.ignored[0][1]
    assert "trainings" in why and "publications" in why
    assert ds.files == []


def test_unsupported_file_types_listed_as_ignored(data_dir):
    (data_dir / "说明.docx").write_bytes(b"PK\x03\x04")
    (data_dir / "readme").write_text("x")
    ds = read(data_dir)
    assert sorted(f for f, _ in ds.ignored) == ["readme", "说明.docx"]


# ---------------------------------------------------------------- enumerations and numbers (BI 19)


def test_enumerations_synonyms_unknown_required_and_open_values(data_dir):
    write_xlsx(
        data_dir / "tickets.xlsx",
        [
            [*HEAD, "所属区", "涉及银行", "工单状态"],
            trow("T1", "12345", "2024-05-06", "咨询", "天河区", "工行", None),
            trow("T2", 12345, "2024-05-06", "咨询", "天河", "中国工商银行", "延期"),
            trow("T3", "12345政务服务便民热线", "2024-05-06", "投诉", " 番禺区 ", "花旗银行", "已办结"),
            trow("T4", "微博", "2024-05-06", "咨询", "海珠", None, None),
            trow("T5", "信访", "2024-05-06", "闲聊", "海珠", None, None),
            trow("T6", "穗好办app", "2024-05-06", "举报", "深圳", "农商银行", "作废"),
        ],
    )
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.rows_read, r.accepted, r.quarantined) == (6, 4, 2)
    f = tickets(ds)
    assert f["channel"].to_dict() == {"T1": "12345热线", "T2": "12345热线", "T3": "12345热线", "T6": "穗好办APP"}
    assert f["district"].to_dict() == {"T1": "天河", "T2": "天河", "T3": "番禺", "T6": "深圳"}  # unknown district kept
    assert f["bank"].to_dict() == {"T1": "工商银行", "T2": "工商银行", "T3": "花旗银行", "T6": "广州农商银行"}
    assert dict(zip(f.index, vals(f["status"]))) == {"T1": None, "T2": "延期", "T3": "正常", "T6": None}  # 作废: blanked
    q = ds.quarantine
    assert q["row"].tolist() == [5, 6]
    assert "channel" in q["reason"].iloc[0] and "来源渠道" in q["reason"].iloc[0] and "微博" in q["reason"].iloc[0]
    assert "ticket_type" in q["reason"].iloc[1] and "诉求类型" in q["reason"].iloc[1]
    w = ds.warnings.sort_values(["row", "column"])
    assert w[["row", "column"]].values.tolist() == [[4, "bank"], [7, "district"], [7, "status"]]
    assert "花旗银行" in w["reason"].iloc[0]


def test_numbers_as_text_and_bad_optional_number(data_dir):
    write_xlsx(
        data_dir / "培训与宣讲记录.xlsx",
        [
            ["编号", "日期", "类型", "人数", "主题"],
            ["P1", "2024-05-06", "内部培训", "1,234", "=1+1"],
            ["P2", "2024-05-07", "外部培训", "１２３", None],
            ["P3", "2024-05-08", "宣讲", "很多", None],
            ["P4", "2024-05-09", "宣讲活动", 45, None],
            ["P5", "2024-05-10", "宣讲", "12人", None],
            ["P6", "2024-05-11", "宣讲", -3, None],
            ["P7", "2024-05-12", "宣讲", 2.5, None],
        ],
    )
    ds = read(data_dir)
    r = rec(ds, "培训与宣讲记录.xlsx")
    assert (r.ledger, r.rows_read, r.accepted, r.quarantined, r.warnings) == ("trainings", 7, 7, 0, 3)
    f = ds.frames["trainings"].set_index("training_id")
    assert f["attendees"].tolist() == [1234, 123, pd.NA, 45, 12, pd.NA, pd.NA]
    assert str(f["attendees"].dtype) == "Int64"
    assert f["kind"].tolist() == ["内部培训", "外部培训", "宣讲", "宣讲", "宣讲", "宣讲", "宣讲"]
    assert f["held_on"].tolist() == [TS(f"2024-05-{d:02d}") for d in range(6, 13)]
    w = ds.warnings
    assert w[["row", "column"]].values.tolist() == [[4, "attendees"], [7, "attendees"], [8, "attendees"]]
    assert "很多" in w["reason"].iloc[0]


# ---------------------------------------------------------------- BI 13, 15-17: cell contents


def test_formula_looking_text_kept_as_plain_text(data_dir):
    texts = ["=1+1", "@SUM(A1:A2)", "+86 热线转办", "-5分，不满意", '=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0"]
    write_xlsx(data_dir / "tickets.xlsx", [[*HEAD, "诉求内容"]] + [trow(f"T{i}", "12345热线", "2024-05-06", "咨询", t) for i, t in enumerate(texts)])
    write_csv(data_dir / "tickets_z.csv", [[*HEAD, "诉求内容"]] + [trow(f"C{i}", "12345热线", "2024-05-06", "咨询", t) for i, t in enumerate(texts)], "utf-8")
    ds = read(data_dir)
    f = tickets(ds)
    assert [f.loc[f"T{i}", "content"] for i in range(len(texts))] == texts
    assert [f.loc[f"C{i}", "content"] for i in range(len(texts))] == texts


def test_control_characters_and_long_text_kept(data_dir):
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(data_dir / "tickets.xlsx"))
    ws = wb.add_worksheet()
    for c, h in enumerate([*HEAD, "诉求内容"]):
        ws.write_string(0, c, h)
    for c, v in enumerate(trow("T1", "12345热线", "2024-05-06", "咨询", "第一行\x0b第二行\x07铃")):
        ws.write_string(1, c, v)
    wb.close()
    long_text = "长" * 40000
    write_csv(data_dir / "tickets_z.csv", [[*HEAD, "诉求内容"], trow("C1", "12345热线", "2024-05-06", "咨询", "a\x07b\x1fc"),
                                            trow("C2", "12345热线", "2024-05-06", "咨询", long_text)], "utf-8")
    ds = read(data_dir)
    f = tickets(ds)
    assert f.loc["T1", "content"] == "第一行\x0b第二行\x07铃"
    assert f.loc["C1", "content"] == "a\x07b\x1fc"
    assert f.loc["C2", "content"] == long_text


def test_excel_error_values_and_formulas_without_cached_values(data_dir):
    path = data_dir / "tickets.xlsx"
    write_xlsx(
        path,
        [
            [*HEAD, "诉求内容"],
            trow(XlError("#REF!"), "12345热线", "2024-05-06", "咨询", "x"),
            trow("T2", "12345热线", "2024-05-06", "咨询", XlError("#VALUE!")),
            trow("T3", "12345热线", "2024-05-06", "咨询", "#DIV/0!"),
            trow("#REF!", "12345热线", "2024-05-06", "咨询", "y"),
            trow("T5", "12345热线", None, "咨询", "z"),
        ],
    )
    wb = openpyxl.load_workbook(path)
    wb.active["C6"] = "=DATE(2024,5,6)"  # a formula, saved without a cached value
    wb.save(path)
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.rows_read, r.accepted, r.quarantined) == (5, 2, 3)
    assert ds.quarantine["row"].tolist() == [2, 5, 6]
    assert "ticket_id" in ds.quarantine["reason"].iloc[0] and "ticket_id" in ds.quarantine["reason"].iloc[1]
    assert "received_at" in ds.quarantine["reason"].iloc[2]
    f = tickets(ds)
    assert sorted(f.index) == ["T2", "T3"]
    assert vals(f["content"]) == [None, None]  # error values are never kept as data
    assert [4, "content"] in ds.warnings[["row", "column"]].values.tolist()  # "#DIV/0!" typed as text: blanked + warned


def test_personal_data_inside_free_text_is_kept_in_the_frame(data_dir):
    # The reader keeps free text as written; masking is done when it is shown.
    text = f"市民{ID_A}来电，电话13812345678，要求补卡"
    write_xlsx(data_dir / "tickets.xlsx", [[*HEAD, "诉求内容"], trow("T1", "12345热线", "2024-05-06", "咨询", text)])
    ds = read(data_dir)
    assert ds.frames["tickets"].loc[0, "content"] == text
    assert ds.warnings.empty


# ---------------------------------------------------------------- BI 20: empty inputs


def test_empty_workbook(data_dir):
    write_xlsx(data_dir / "tickets.xlsx", [])
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.ledger, r.rows_read, r.accepted) == ("tickets", 0, 0)
    assert ds.frames["tickets"].empty


def test_formatted_but_empty_rows_lose_nothing(data_dir):
    from openpyxl.styles import PatternFill

    path = write_xlsx(data_dir / "tickets.xlsx", [HEAD, trow("T1"), [None] * 4, trow("T2")])
    wb = openpyxl.load_workbook(path)
    for row in range(4, 9):
        for col in range(1, 6):
            wb.active.cell(row, col).fill = PatternFill("solid", fgColor="FFFF00")
    wb.save(path)
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.accepted, r.quarantined, r.dropped_summary) == (2, 0, 0)
    assert r.rows_read - r.dropped_blank == 2


def test_empty_csv_file(data_dir):
    (data_dir / "tickets.csv").write_bytes(b"")
    ds = read(data_dir)
    r = rec(ds, "tickets.csv")
    assert (r.ledger, r.rows_read, r.accepted) == ("tickets", 0, 0)
    assert ds.frames["tickets"].empty and ds.has("tickets")


@pytest.mark.parametrize("fmt", ["xlsx", "csv-utf8", "csv-gbk", "csv-utf16"])
def test_header_only_file(data_dir, fmt):
    if fmt == "xlsx":
        name = "tickets.xlsx"
        write_xlsx(data_dir / name, [["2024年5月工单台账"], HEAD])
    else:
        name = "tickets.csv"
        write_csv(data_dir / name, [HEAD], {"csv-utf8": "utf-8", "csv-gbk": "gbk", "csv-utf16": "utf-16"}[fmt])
    ds = read(data_dir)
    r = rec(ds, name)
    assert (r.rows_read, r.accepted, r.quarantined, r.dropped) == (0, 0, 0, 0)
    assert ds.frames["tickets"].empty
    assert {c.name for c in L.TICKETS.columns} <= set(ds.frames["tickets"].columns)


def test_folder_without_tickets_file_gives_empty_tickets_frame(data_dir):
    write_xlsx(data_dir / "培训.xlsx", [["编号", "日期", "类型"], ["P1", "2024-05-06", "宣讲"]])
    ds = read(data_dir)
    f = ds.frames["tickets"]
    assert len(f) == 0
    assert [c.name for c in L.TICKETS.columns] == [c for c in f.columns if c not in L.PROVENANCE]
    assert set(L.PROVENANCE) <= set(f.columns)
    assert not ds.has("tickets")
    assert len(ds.frames["trainings"]) == 1
    assert set(ds.frames) == set(L.LEDGERS)


def test_empty_folder(data_dir):
    ds = read(data_dir)
    assert ds.files == [] and ds.ignored == []
    assert all(len(f) == 0 for f in ds.frames.values())
    assert ds.quarantine.empty and ds.warnings.empty


def test_missing_folder_is_fatal(tmp_path):
    with pytest.raises(FatalInputError, match="nowhere"):
        load(tmp_path / "nowhere", use_cache=False)


# ---------------------------------------------------------------- privacy in messages


def test_no_personal_data_in_any_message(data_dir):
    phone = "13812345678"
    rows = [
        [*HEAD, "身份证号", "联系电话", "诉求人", "诉求内容", "涉及银行", "所属区"],
        trow("T1", ID_A, "2024-05-06", "咨询", ID_B, phone, "张三", f"身份证{ID_A}"),  # channel holds an ID
        trow("T2", "12345热线", phone, "咨询", ID_B, phone, "李四", "x"),  # date holds a phone
        trow("T3", "12345热线", "2024-05-06", f"咨询 {ID_X}", ID_X, phone, "王五", "y"),  # type holds an ID
        trow(None, "12345热线", "2024-05-06", "咨询", ID_A, phone, "赵六", "z"),  # no key
        trow("T5", "12345热线", "2024-05-06", "咨询", "A123456(7)", phone, "钱七", "w"),
        trow("T5", "12345热线", "2024-05-06", "投诉", ID_B, "13987654321", "钱七", "w"),  # conflicting duplicate
        trow("T6", "12345热线", "2024-05-06", "咨询", ID_B[:17] + "0", "1381234567", "孙八", "v", ID_X, phone),
        trow("T7", "12345热线", "2024-05-06", "咨询", float(ID_B), "+86 139-8765-4321 转 8", "周九", "u", "13987654321"),
        ["合计：共 9 条"],
    ]
    write_xlsx(data_dir / "tickets.xlsx", rows)
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.rows_read, r.accepted, r.quarantined, r.dropped_summary, r.dropped_duplicate) == (9, 3, 4, 1, 1)
    assert ds.quarantine["row"].tolist() == [2, 3, 4, 5]
    w = ds.warnings.sort_values(["row", "column"])
    assert w[["row", "column"]].values.tolist() == [
        [6, "ticket_id"], [8, "bank"], [8, "district"], [8, "id_number"], [8, "phone"],
        [9, "bank"], [9, "id_number"], [9, "phone"],
    ]
    assert len(r.notes) == 1  # the 合计 row says 9, 8 data rows were read
    secrets = [ID_A, ID_B, ID_X, ID_B[:17] + "0", phone, "1381234567", "13987654321", "A123456(7)", str(float(ID_B))]
    assert_no_personal_data(_messages(ds), secrets)


def test_fatal_error_for_missing_column_shows_no_personal_data(data_dir):
    write_xlsx(data_dir / "tickets.xlsx", [["工单编号", "身份证号", "联系电话"], ["T1", ID_A, "13812345678"]])
    with pytest.raises(FatalInputError) as exc:
        load(data_dir, use_cache=False)
    assert_no_personal_data([str(exc.value)], [ID_A, "13812345678"])
    assert "tickets.xlsx" in str(exc.value)


# ---------------------------------------------------------------- cache


def test_cache_reuses_parsed_files_and_notices_changes(data_dir, sscard_cache, monkeypatch):
    path = write_xlsx(
        data_dir / "tickets.xlsx",
        [[*HEAD, "身份证号", "联系电话", "办理时限", "涉及银行", "回访满意度", "备注"],
         trow("T1", "12345", "2024-05-06 09:00", "咨询", ID_A, "13812345678", "2024-05-07", "花旗银行", "满意", "a"),
         trow("T2", "信访", 45356.5, "投诉", float(ID_B), None, None, None, None, None),
         trow("T3", "微博", "2024-05-06", "投诉")],
    )
    write_xlsx(data_dir / "培训.xlsx", [["编号", "日期", "类型", "人数"], ["P1", "2024-05-06", "宣讲", "1,234"], ["P2", "2024-05-07", "内部培训", None]])
    write_xlsx(data_dir / "phone_checks.xlsx", [["巡检编号", "网点编号", "巡检时间", "是否接通"], ["C1", "O1", "2024-05-06 10:00", "是"], ["C2", 1001, "2024-05-06", "否"]])
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in data_dir.iterdir()}

    calls: list[str] = []
    real = sio.parse_file

    def counting(path, rel, *a, **kw):
        calls.append(rel)
        return real(path, rel, *a, **kw)

    monkeypatch.setattr(sio, "parse_file", counting)
    first = load(data_dir, use_cache=True)
    assert_reconciled(first)
    assert sorted(calls) == ["phone_checks.xlsx", "tickets.xlsx", "培训.xlsx"]
    assert any(sscard_cache.iterdir())

    calls.clear()
    second = load(data_dir, use_cache=True)
    assert calls == []  # nothing re-parsed
    assert_reconciled(second)
    for name in L.LEDGERS:
        assert_same_values(first.frames[name], second.frames[name])
    assert first.files == second.files
    pd.testing.assert_frame_equal(first.quarantine, second.quarantine)
    pd.testing.assert_frame_equal(first.warnings, second.warnings)
    uncached = load(data_dir, use_cache=False)
    for name in L.LEDGERS:
        assert_same_values(uncached.frames[name], second.frames[name])

    # inputs are never modified
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in data_dir.iterdir()} == before

    # changing one file's content re-parses that file only
    write_xlsx(path, [HEAD, trow("T9", "人民网")])
    calls.clear()
    third = load(data_dir, use_cache=True)
    assert calls == ["tickets.xlsx"]
    assert tickets(third).index.tolist() == ["T9"]
    assert tickets(third).loc["T9", "channel"] == "人民网"
    assert_reconciled(third)


# ---------------------------------------------------------------- property: no row is ever lost

KEYS = ["T1", "T2", "T3", "T4"]
_row_kind = st.one_of(
    st.tuples(st.just("valid"), st.sampled_from(KEYS), st.sampled_from(["咨询", "投诉"]), st.sampled_from(["2024-05-06", 45356.5, "2024年5月7日"])),
    st.tuples(st.just("blank")),
    st.tuples(st.just("no_key"), st.sampled_from([None, " ", "#N/A"])),
    st.tuples(st.just("bad_date"), st.sampled_from(KEYS), st.sampled_from(["2024-13-45", "明天", "#N/A", None])),
    st.tuples(st.just("summary"), st.sampled_from(["合计", "小计：", "总计", "制表人：张三"])),
)


def _as_excel_row(kind):
    if kind[0] == "valid":
        return trow(kind[1], "12345热线", kind[3], kind[2])
    if kind[0] == "blank":
        return [None, None, None, None]
    if kind[0] == "no_key":
        return trow(kind[1], "12345热线", "2024-05-06", "咨询")
    if kind[0] == "bad_date":
        return trow(kind[1], "12345热线", kind[2], "咨询")
    return [kind[1], None, None, None]


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(_row_kind, max_size=12), title=st.booleans())
def test_property_no_row_is_lost(kinds, title):
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        head = [["2024年5月工单台账"], HEAD] if title else [HEAD]
        write_xlsx(d / "tickets.xlsx", head + [_as_excel_row(k) for k in kinds])
        ds = read(d)
    r = rec(ds, "tickets.xlsx")
    # Rows with no cell at all after the last non-blank row are not in the file.
    written = len(kinds)
    while written and kinds[written - 1][0] == "blank":
        written -= 1
    valid_keys = [k[1] for k in kinds if k[0] == "valid"]
    assert r.rows_read == written
    assert r.rows_read == r.accepted + r.quarantined + r.dropped_blank + r.dropped_summary + r.dropped_duplicate
    assert r.header_row == len(head)
    assert r.quarantined == sum(k[0] in ("no_key", "bad_date") for k in kinds)
    assert r.dropped_summary == sum(k[0] == "summary" for k in kinds)
    assert r.dropped_blank == sum(k[0] == "blank" for k in kinds[:written])
    assert r.accepted == len(set(valid_keys))
    assert r.dropped_duplicate == len(valid_keys) - len(set(valid_keys))
    assert sorted(ds.frames["tickets"]["ticket_id"]) == sorted(set(valid_keys))
    assert sorted(ds.quarantine["row"]) == [
        i + 1 + len(head) for i, k in enumerate(kinds) if k[0] in ("no_key", "bad_date")
    ]


# Cases first found failing, now fixed.

def test_xlsx_renamed_xls_is_read(data_dir):
    path = write_xlsx(data_dir / "tmp.xlsx", [HEAD, trow("T1"), trow("T2", "12345", 45356)])
    path.rename(data_dir / "tickets.xls")
    ds = read(data_dir)
    r = rec(ds, "tickets.xls")
    assert (r.rows_read, r.accepted) == (2, 2)
    assert tickets(ds).loc["T2", "received_at"] == pd.Timestamp("2024-03-05")


def test_fatal_error_for_file_without_header_shows_no_personal_data(data_dir):
    write_xlsx(data_dir / "tickets.xlsx", [["T1", "12345热线", "2024-05-06", "咨询", ID_A, "13812345678"]])
    with pytest.raises(FatalInputError) as exc:
        load(data_dir, use_cache=False)
    assert "tickets.xlsx" in str(exc.value)
    assert_no_personal_data([str(exc.value)], [ID_A, "13812345678"])


def test_spaced_id_number_in_another_column_is_masked_in_warning(data_dir):
    spaced = f"{ID_A[:6]} {ID_A[6:14]} {ID_A[14:]}"
    write_xlsx(data_dir / "tickets.xlsx", [[*HEAD, "所属区"], trow("T1", "12345", "2024-05-06", "咨询", spaced)])
    ds = read(data_dir)
    assert ds.warnings[["row", "column"]].values.tolist() == [[2, "district"]]
    assert_no_personal_data(list(ds.warnings["reason"]), [ID_A])


def test_permit_numbers_in_another_column_are_masked(data_dir):
    write_xlsx(
        data_dir / "tickets.xlsx",
        [[*HEAD, "所属区"], trow("T1", "A123456(7)", "2024-05-06", "咨询"), trow("T2", "12345", "2024-05-06", "咨询", "H12345678")],
    )
    ds = read(data_dir)
    assert ds.quarantine["row"].tolist() == [2]
    assert ds.warnings[["row", "column"]].values.tolist() == [[3, "district"]]
    messages = list(ds.quarantine["reason"]) + list(ds.warnings["reason"])
    assert_no_personal_data(messages, ["A123456(7)", "H12345678"])


def test_cached_frames_equal_parsed_frames_including_dtypes(data_dir):
    write_xlsx(
        data_dir / "tickets.xlsx",
        [[*HEAD, "身份证号", "备注"], trow("T1", "12345", "2024-05-06 09:00", "咨询", ID_A, "a"),
         trow("T2", "信访", 45356.5, "投诉", float(ID_B), None)],
    )
    write_xlsx(data_dir / "phone_checks.xlsx", [["巡检编号", "网点编号", "巡检时间", "是否接通"], ["C1", "O1", "2024-05-06 10:00", "是"]])
    parsed = load(data_dir, use_cache=True)
    cached = load(data_dir, use_cache=True)
    assert_reconciled(cached)
    for name in L.LEDGERS:
        pd.testing.assert_frame_equal(parsed.frames[name], cached.frames[name], obj=name)


def test_unknown_outlet_is_kept_with_a_warning(data_dir):
    write_xlsx(data_dir / "outlets.xlsx", [["网点编号", "网点名称", "所属银行", "所属区"], ["WD1", "天河支行", "工行", "天河区"]])
    write_xlsx(data_dir / "phone_checks.xlsx", [["巡检编号", "网点编号", "巡检时间", "是否接通"],
                                               ["C1", "WD1", "2024-05-06 10:00", "是"], ["C2", "WD9", "2024-05-06 11:00", "否"]])
    ds = read(data_dir)
    assert ds.frames["phone_checks"]["check_id"].tolist() == ["C1", "C2"]
    w = ds.warnings[ds.warnings["ledger"] == "phone_checks"]
    assert w[["row", "column"]].values.tolist() == [[3, "outlet_id"]] and "WD9" in w["reason"].iloc[0]
    assert rec(ds, "phone_checks.xlsx").warnings == 1
