"""The banks' outlet scorecard (2.2(1), 表1 #2, #9) on a hand-computed two-bank fixture."""

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from _frames import dataset, ledger_frame

from sscard_analysis.analysis.scorecard import bank_scorecard, outlet_detail
from sscard_analysis.analysis.stats import wilson_interval
from sscard_analysis.config import DEFAULT_BANK_WEIGHTS, Settings, SettingsError, load_settings
from sscard_analysis.dates.periods import parse_period

MAY = parse_period("2024-05", Settings(), now=None, as_of="2024-05-31T23:59:59")
ITEMS = ("score_environment", "score_management", "score_security", "score_conduct", "score_knowledge")


def _visit(iid, outlet, day, score, issues=None, rectified=None):
    return dict(inspection_id=iid, outlet_id=outlet, inspected_on=day, issues=issues, rectified=rectified, **{c: score for c in ITEMS})


@pytest.fixture
def two_banks():
    """工商银行 (ICBC) with two outlets, 农业银行 (ABC) with one open and one closed outlet."""
    outlets = ledger_frame("outlets", [
        dict(outlet_id="A1", name="工行甲支行", bank="工商银行", district="天河", status="正常"),
        dict(outlet_id="A2", name="工行乙支行", bank="工商银行", district="天河", status="正常"),
        dict(outlet_id="B1", name="农行甲支行", bank="农业银行", district="越秀", status="正常"),
        dict(outlet_id="B2", name="农行乙支行", bank="农业银行", district="越秀", status="撤销", closed_on="2024-04-01"),
    ])
    inspections = ledger_frame("outlet_inspections", [
        _visit("I0", "B1", "2024-04-10", 70),  # before the period: not in the May scores
        _visit("I1", "A1", "2024-05-06", 90, "宣传折页不足", True),
        _visit("I2", "A2", "2024-05-07", 80, "叫号机故障", False),
        _visit("I3", "B1", "2024-05-08", 100),
        _visit("I4", "A1", "2024-06-03", 10),  # after the period
    ])
    phone = ledger_frame("phone_checks", [
        dict(check_id="P1", outlet_id="A1", checked_at="2024-05-06 10:00", answered=True, script_ok=True),
        dict(check_id="P2", outlet_id="A2", checked_at="2024-05-06 11:00", answered=False),
        dict(check_id="P3", outlet_id="B1", checked_at="2024-05-07 10:00", answered=True, script_ok=False),
        dict(check_id="P4", outlet_id="B1", checked_at="2024-05-08 10:00", answered=True, script_ok=True),
    ])
    t = dict(channel="12345热线", received_at="2024-05-10 09:00")
    tickets = ledger_frame("tickets", [
        dict(ticket_id="T1", ticket_type="投诉", bank="工商银行", **t),
        dict(ticket_id="T2", ticket_type="投诉", bank="工商银行", **t),
        dict(ticket_id="T3", ticket_type="咨询", bank="工商银行", **t),
        dict(ticket_id="T4", ticket_type="投诉", bank="工商银行", status="无效", **t),  # excluded
        dict(ticket_id="T5", ticket_type="咨询", bank="农业银行", **t),
        dict(ticket_id="T6", ticket_type="投诉", **t),  # names no bank
        dict(ticket_id="T7", ticket_type="投诉", bank="农业银行", channel="12345热线", received_at="2024-06-01 09:00"),  # June
    ])
    return outlets, inspections, phone, tickets


def test_two_bank_scores_by_hand(two_banks):
    card = bank_scorecard(*two_banks, MAY, date(2024, 3, 1), DEFAULT_BANK_WEIGHTS).set_index("bank")
    icbc, abc = card.loc["工商银行"], card.loc["农业银行"]
    # ICBC: 2 open outlets; tickets T1-T3 (T4 无效 left out), 2 of them complaints = 1.0 per outlet.
    assert (icbc.outlets, icbc.tickets, icbc.complaints, icbc.complaints_per_outlet) == (2, 3, 2, 1.0)
    # Visits 90 and 80: mean 85. Two findings, one rectified: 0.5. Two calls, one answered: 0.5; it answered right: 1.0.
    assert icbc.inspection_score == 85 and icbc.rectification_rate == 0.5 and icbc.answer_rate == 0.5 and icbc.script_rate == 1.0
    # Complaints: all banks 2 complaints / 3 open outlets; ICBC 1.0 per outlet -> 100 * (1 - 0.5 * 1.0 / (2/3)) = 25.
    assert icbc.comp_complaints == pytest.approx(25)
    # 0.40*85 + 0.20*50 + 0.15*50 + 0.10*100 + 0.15*25 = 34 + 10 + 7.5 + 10 + 3.75
    assert icbc.score == pytest.approx(65.25)
    # ABC: B2 closed, so 1 outlet; no complaint (its June complaint is outside May) -> 100; visit 100; no finding,
    # so rectification has no value and its weight 0.20 drops out; 2 of 2 answered, 1 of 2 right.
    assert (abc.outlets, abc.tickets, abc.complaints, abc.findings) == (1, 1, 0, 0) and pd.isna(abc.rectification_rate)
    # (0.40*100 + 0.15*100 + 0.10*50 + 0.15*100) / 0.80 = 75 / 0.8
    assert abc.score == pytest.approx(93.75)
    assert (abc["rank"], icbc["rank"]) == (1, 2)
    assert card.index[:2].tolist() == ["农业银行", "工商银行"]
    # Every outlet was visited between the service start and the cut-off.
    assert icbc.never_inspected == 0 and abc.never_inspected == 0
    # The other 13 banks are listed, without outlets, score or rank.
    assert len(card) == 15 and card["score"].isna().sum() == 13 and card["rank"].isna().sum() == 13


def test_intervals_are_wilson_and_bootstrap_and_bound_the_score(two_banks):
    card = bank_scorecard(*two_banks, MAY, date(2024, 3, 1)).set_index("bank")
    icbc = card.loc["工商银行"]
    assert (icbc.answer_rate_low, icbc.answer_rate_high) == pytest.approx(wilson_interval(1, 2))
    assert (icbc.rectification_rate_low, icbc.rectification_rate_high) == pytest.approx(wilson_interval(1, 2))
    # Resampling two visits (90, 80) gives means 80, 85 or 90: the 95% percentile interval is 80-90.
    assert (icbc.inspection_score_low, icbc.inspection_score_high) == (80, 90)
    # ABC had one visit: no interval, the component counts from 0 to 100 in the score's range.
    abc = card.loc["农业银行"]
    assert pd.isna(abc.inspection_score_low)
    for r in (icbc, abc):
        assert r.score_low <= r.score <= r.score_high
    assert abc.score_low < 75 / 0.8 - 30  # one visit and two calls say little: the range is wide


def test_weights_from_settings_change_the_ranking(two_banks, tmp_path):
    (tmp_path / "sscard.toml").write_text("[banks.weights]\ninspection = 0\nrectification = 0\nphone_answer = 0\n"
                                          "phone_script = 1\ncomplaints = 0\n", encoding="utf-8")
    s = load_settings(tmp_path)
    card = bank_scorecard(*two_banks, MAY, date(2024, 3, 1), s.bank_weights).set_index("bank")
    # Only the correct-answer rate counts: ICBC 1/1 = 100, ABC 1/2 = 50.
    assert card.loc["工商银行", "score"] == 100 and card.loc["农业银行", "score"] == 50
    assert card.loc["工商银行", "rank"] == 1


@pytest.mark.parametrize("text", ["[banks.weights]\nspeed = 1\n", "[banks.weights]\ninspection = -1\n", "[inspections]\nvisits_per_person_day = 0\n"])
def test_bad_bank_settings_are_refused(tmp_path, text):
    (tmp_path / "sscard.toml").write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError):
        load_settings(tmp_path)


def test_outlet_detail_puts_the_unrectified_low_outlet_first(two_banks):
    outlets, inspections, phone, _ = two_banks
    d = outlet_detail(outlets, inspections, phone, MAY, DEFAULT_BANK_WEIGHTS).set_index("outlet_id")
    # A2: visit 80, finding not rectified (0), call unanswered (0): (0.40*80 + 0.20*0 + 0.15*0) / 0.75
    assert d.loc["A2", "score"] == pytest.approx(32 / 0.75) and bool(d.loc["A2", "unrectified"])
    # A1: 90, rectified (100), answered (100), right (100): (36 + 20 + 15 + 10) / 0.85
    assert d.loc["A1", "score"] == pytest.approx(81 / 0.85)
    assert d.index[0] == "A2" and d.loc["A2", "last_issue"] == "叫号机故障"


def test_report_section_lists_every_bank_with_intervals(two_banks):
    from sscard_analysis.reporting.banks import bank_scorecard_section
    from sscard_analysis.reporting.context import ReportContext

    outlets, inspections, phone, tickets = two_banks
    rows = lambda f: f.to_dict("records")  # noqa: E731
    ds = dataset(outlets=rows(outlets), outlet_inspections=rows(inspections), phone_checks=rows(phone), tickets=rows(tickets))
    ctx = ReportContext("quarterly", ds, MAY, {}, None, None, ds["tickets"], None)
    html = str(bank_scorecard_section(ctx))
    assert "93.8（" in html and "65.2（" in html  # ABC's and ICBC's scores with their ranges
    assert "工行乙支行" in html and "叫号机故障" in html  # the bottom outlet with its finding
    assert html.count("<tr>") >= 15  # the ranking lists the 15 banks


def test_a_folder_without_outlets_gets_a_note_not_an_error():
    from sscard_analysis.reporting.banks import bank_scorecard_section
    from sscard_analysis.reporting.context import ReportContext

    ds = dataset(tickets=[])
    ctx = ReportContext("annual", ds, MAY, {}, None, None, ds["tickets"], None)
    assert "未提供合作银行网点名录" in bank_scorecard_section(ctx)


def test_sample_workbook_is_written(tmp_path):
    """The Excel output on the two-bank fixture holds numbers (rates as percent cells)."""
    import openpyxl

    from sscard_analysis.ops.banks import write_workbook

    # built from the fixture directly, no sample needed
    outlets = ledger_frame("outlets", [dict(outlet_id="A1", name="甲", bank="工商银行", district="天河", status="正常")])
    ins = ledger_frame("outlet_inspections", [_visit("I1", "A1", "2024-05-06", 90, "问题", True)])
    phone = ledger_frame("phone_checks", [dict(check_id="P1", outlet_id="A1", checked_at="2024-05-06 10:00", answered=True, script_ok=True)])
    tickets = ledger_frame("tickets", [])
    card = bank_scorecard(outlets, ins, phone, tickets, MAY, date(2024, 3, 1))
    detail = outlet_detail(outlets, ins, phone, MAY)
    path = write_workbook(card, detail, MAY, DEFAULT_BANK_WEIGHTS, Path(tmp_path) / "x.xlsx")
    ws = openpyxl.load_workbook(path)["银行排名"]
    head = [c.value for c in ws[1]]
    row = {h: c for h, c in zip(head, ws[2])}
    assert row["银行"].value == "工商银行" and row["排名"].value == 1
    assert row["检查平均分"].value == 90 and row["接通率"].value == 1 and row["接通率"].number_format == "0.00%"
