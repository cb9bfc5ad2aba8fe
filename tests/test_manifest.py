"""A report's fingerprint covers what can change it, and only that (issue 13.2); the manifest records formats (13.8)."""

import json
from datetime import date
from pathlib import Path

import pandas as pd
from _frames import dataset

from sscard_analysis.config import Settings
from sscard_analysis.dates.periods import parse_period
from sscard_analysis.ingest import ledgers as L
from sscard_analysis.reporting.manifest import EVENT_DATE, Published, ReportInputs, read_manifest, record_manifest

S = Settings(start=date(2024, 3, 1))
NB = b'{"cells": []}'


def T(tid, received, **kw):
    return dict(ticket_id=tid, channel="12345热线", ticket_type="咨询", received_at=received, **kw)


def STAFF(sid, name="张三"):
    return dict(staff_id=sid, name=name, post="热线坐席", onboard_on="2024-03-01")


BASE = dict(tickets=[T("M1", "2024-03-05 10:00"), T("Y1", "2024-05-06 10:00")], staff=[STAFF("S1")])


def fp(kind="monthly", label="2024-03", settings=S, **frames):
    ds = dataset(settings, **{**BASE, **frames})
    return ReportInputs(ds).fingerprint(kind, parse_period(label, settings), NB)


def test_a_later_row_does_not_change_an_earlier_report():
    # the May ticket edited: March's report (cut-off 31 March 23:59:59) cannot show it, May's can
    edited = [T("M1", "2024-03-05 10:00"), T("Y1", "2024-05-06 10:00", category="社保卡挂失")]
    assert fp(tickets=edited) == fp()
    assert fp(label="2024-05", tickets=edited) != fp(label="2024-05")
    assert fp(label="contract", kind="annual", tickets=edited) != fp(label="contract", kind="annual")


def test_an_earlier_row_changes_every_later_report():
    # cumulative quotas and the settlement reach back to the service start
    edited = [T("M1", "2024-03-05 10:00", category="社保卡挂失"), T("Y1", "2024-05-06 10:00")]
    assert fp(tickets=edited) != fp()
    assert fp(label="2024-05", tickets=edited) != fp(label="2024-05")


def test_undated_registers_count_for_every_report():
    assert EVENT_DATE["staff"] is None and EVENT_DATE["outlets"] is None
    assert fp(staff=[STAFF("S1", "李四")]) != fp()


def test_settings_version_and_notebook_are_part_of_it():
    assert fp(settings=Settings(start=date(2024, 3, 1), price_yuan=4_800_000)) != fp()
    assert fp(settings=Settings(start=date(2024, 3, 1), report_time_limit_minutes=3)) == fp()  # not about content
    ds = dataset(S, **BASE)
    p = parse_period("2024-03", S)
    assert ReportInputs(ds).fingerprint("monthly", p, NB + b" ") != ReportInputs(ds).fingerprint("monthly", p, NB)


def test_where_a_row_sits_is_not_part_of_it():
    ds = dataset(S, **BASE)
    moved = dataset(S, **BASE)
    for frame, rows in ((ds["tickets"], (7, 8)), (moved["tickets"], (120, 3))):  # same rows, other Excel rows
        frame[L.SRC_ROW] = list(rows)
    p = parse_period("2024-03", S)
    assert ReportInputs(ds).fingerprint("monthly", p, NB) == ReportInputs(moved).fingerprint("monthly", p, NB)


def test_a_ledger_appearing_empty_changes_it():
    # an empty 网点检查 file turns "未提供网点现场检查记录" into zeros
    assert fp(outlet_inspections=[]) != fp()


def test_every_ledger_has_an_event_date_rule():
    assert set(EVENT_DATE) == set(L.LEDGERS)
    for name, col in EVENT_DATE.items():
        assert col is None or L.LEDGERS[name].column(col).kind in (L.DATE, L.DATETIME, L.MONTH)


def test_input_files_count_files_that_can_reach_the_report():
    ds = dataset(S, **BASE)
    ds.frames["tickets"].insert(0, L.SRC_FILE, pd.Categorical(["工单台账3月.xlsx", "工单台账5月.xlsx"]))
    ds.frames["staff"].insert(0, L.SRC_FILE, pd.Categorical(["人员名册.xlsx"]))
    inputs = ReportInputs(ds)
    assert inputs.input_files(parse_period("2024-03", S)) == 2  # March tickets and the roster
    assert inputs.input_files(parse_period("2024-05", S)) == 3


def _published(out: Path, fmt: str, digest: str) -> Published:
    f = out / "2024-05" / f"社保卡服务月报_2024-05.{fmt}"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text("x", encoding="utf-8")
    return Published("monthly", "2024-05", [f], digest, {"period": "2024-05", "data_dir": "/d", "as_of": ""}, (fmt,), 4)


def test_manifest_keeps_formats_of_the_same_inputs(tmp_path):
    record_manifest(tmp_path, _published(tmp_path, "pdf", "h1"))
    e = record_manifest(tmp_path, _published(tmp_path, "html", "h1"))  # `report --format html` later: the PDF stays listed
    assert (e["formats"], e["input_files"]) == (["html", "pdf"], 4)
    e = record_manifest(tmp_path, _published(tmp_path, "xlsx", "h2"))  # new inputs: the old formats are stale
    assert e["formats"] == ["xlsx"] and e["files"] == ["2024-05/社保卡服务月报_2024-05.xlsx"]
    assert read_manifest(tmp_path)["monthly:2024-05"]["inputs_hash"] == "h2"
    assert json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["monthly:2024-05"]["version"]
    (tmp_path / "manifest.json").write_text("{broken", encoding="utf-8")
    assert read_manifest(tmp_path) == {}
