"""The analysis layer on planted fixtures with known answers: trends, spikes, topics, repeat callers, drivers, rankings."""

import re
from datetime import date

import numpy as np
import pandas as pd
import pytest
from _frames import dataset, ledger_frame
from scipy.stats import fisher_exact

from sscard_analysis.analysis import anomalies, backlog, drivers, findings, rankings, repeats, topics, trends
from sscard_analysis.analysis.slices import UNFILLED, apply_filters, previous_period
from sscard_analysis.analysis.stats import mean_interval, poisson_interval, wilson_interval
from sscard_analysis.config import Settings
from sscard_analysis.dates.calendar import WorkCalendar
from sscard_analysis.dates.periods import parse_period
from sscard_analysis.measures.hotline import hotline_kpis, prepare_tickets
from sscard_analysis.reporting.context import REPORT_COLUMNS

H = "12345热线"
CAL = WorkCalendar()
COLUMNS = REPORT_COLUMNS + ["id_number", "phone"]


def prepared(rows: list[dict]) -> pd.DataFrame:
    return prepare_tickets(ledger_frame("tickets", rows), Settings(), CAL, COLUMNS)


def T(tid, received, category="申领", channel=H, ttype="咨询", **kw):
    return dict(ticket_id=tid, channel=channel, received_at=received, ticket_type=ttype, category=category, **kw)


def P(label, as_of=None):
    return parse_period(label, Settings(), as_of)


# ---------------------------------------------------------------- slices and trends


def test_previous_period_has_the_same_length():
    assert previous_period(P("2024-05")).start == date(2024, 4, 1)  # a month, not a 12-month window
    assert previous_period(P("2024-05")).end == date(2024, 4, 30)
    assert (previous_period(P("2024-W18")).start, previous_period(P("2024-W18")).end) == (date(2024, 4, 22), date(2024, 4, 28))
    assert previous_period(P("2024-Q2")).start == date(2024, 1, 1)
    assert previous_period(P("2024-05-06..2024-05-19")).start == date(2024, 4, 22)  # 14 days before
    assert previous_period(P("contract")) is None


def test_filters_and_unfilled():
    t = prepared([T("A", "2024-05-06 09:00", district="白云"), T("B", "2024-05-06 10:00"), T("C", "2024-05-06 11:00", channel="信访平台")])
    assert list(apply_filters(t, district=UNFILLED)["ticket_id"]) == ["B", "C"]
    assert list(apply_filters(t, channel=[H], district=["白云"])["ticket_id"]) == ["A"]
    with pytest.raises(ValueError, match="无法按"):
        apply_filters(t, colour="红")


def test_daily_counts_add_up_to_the_period_and_rates_follow_the_contract():
    rows = [
        T("A", "2024-05-06 09:00", closed_at="2024-05-06 12:00", satisfaction="满意"),
        T("B", "2024-05-06 10:00", closed_at="2024-05-09 12:00", satisfaction="不满意", appeal="申诉成功", district="白云"),
        T("C", "2024-05-13 09:00", closed_at="2024-05-13 12:00", satisfaction="不满意", district="白云"),
        T("D", "2024-05-31 23:00"),  # due 06-03: not due in May
    ]
    t = prepared(rows)
    p = P("2024-05")
    daily = trends.counts(t, p, "day")
    assert len(daily) == 31 and daily["tickets"].sum() == 4
    weekly = trends.counts(t, p, "week", by="district")
    # weeks starting 04-29 … 05-27; A in week 05-06 with no district
    assert weekly.loc[(weekly["bucket"] == "2024-05-06") & (weekly["district"] == UNFILLED), "tickets"].item() == 1
    r = trends.rates(t, p, by="district").set_index("district")
    # B was due Tue 05-07 (咨询, 1 working day) and closed 05-09: late; its 不满意 was upheld: out of the rating
    assert (r.loc["白云", "due"], r.loc["白云", "on_time"], r.loc["白云", "rated"], r.loc["白云", "satisfied"]) == (2, 1, 1, 0)
    assert list(r.index) == ["白云", UNFILLED]
    total = trends.rates(t, p).iloc[0]
    k = hotline_kpis(t, p)
    assert (total["due"], total["on_time"], total["rated"], total["satisfied"]) == (k["tickets_due"], k["closed_on_time"], k["rated"], k["satisfied"])
    assert total["satisfaction_low"] == pytest.approx(wilson_interval(1, 2)[0])


def test_day_types_know_adjusted_working_days_and_holidays():
    days = pd.DatetimeIndex(["2024-05-11", "2024-05-01", "2024-05-12", "2024-06-10", "2024-06-11"])
    assert list(trends.day_types(days, CAL)) == ["调休上班日", "节假日", "周末", "节假日", "工作日"]


def test_baseline_median_of_same_kind_of_days():
    # Working days 10 a day, rest days 2, one working day with 40: expected 10, z = 30 / sqrt(10)
    days = pd.date_range("2024-06-03", "2024-06-30")
    v = [10 if CAL.is_workday(d.date()) else 2 for d in days]
    v[list(days).index(pd.Timestamp("2024-06-19"))] = 40
    b = trends.baseline(pd.DataFrame({"x": v}, index=days), CAL).set_index("date")
    assert b.loc["2024-06-19", "expected"] == 10 and b.loc["2024-06-19", "z"] == pytest.approx(30 / np.sqrt(10))
    assert b.loc["2024-06-10", "expected"] == 2  # the Dragon Boat holiday (a Monday) is compared with rest days


# ---------------------------------------------------------------- spikes


def _steady_rows(first: str, last: str, per_workday: dict, per_restday: dict, texts: dict) -> list[dict]:
    rows = []
    for d in pd.date_range(first, last):
        per = per_workday if CAL.is_workday(d.date()) else per_restday
        for cat, n in per.items():
            for i in range(n):
                rows.append(T(f"{d:%m%d}{cat}{i}", d + pd.Timedelta(hours=9, minutes=i), cat, content=texts[cat]))
    return rows


TEXTS = {"申领": "首次申领社保卡需要准备哪些材料", "补换": "社保卡损坏后到银行网点补换卡的流程",
         "金融功能激活": "社保卡金融功能激活需要到哪个银行网点办理", "密码": "社保卡社保密码忘记后如何重置"}


@pytest.fixture(scope="module")
def planted_spike():
    """Steady volume from 04-15 to 06-30 (May Day holidays and the 05-11 调休 Saturday included),
    plus 15 extra 金融功能激活 tickets on each of Wed 06-12, Thu 06-13 and Fri 06-14 (5 a day usually)."""
    rows = _steady_rows("2024-04-15", "2024-06-30", {"申领": 8, "补换": 6, "金融功能激活": 5, "密码": 4},
                        {"申领": 2, "补换": 1, "金融功能激活": 1, "密码": 1}, TEXTS)
    for d in ("2024-06-12", "2024-06-13", "2024-06-14"):
        for i in range(15):
            rows.append(T(f"S{d}{i}", f"{d} 14:{i:02d}", "金融功能激活", bank="工商银行",
                          content=f"手机银行金融功能激活提示系统升级，第{i}次尝试失败"))
    return prepared(rows)


def test_planted_three_day_spike_is_one_incident_with_its_category(planted_spike):
    inc = anomalies.incidents(planted_spike, P("2024-04-15..2024-06-30"), CAL)
    assert len(inc) == 1  # the 调休 Saturday 05-11 (a full working day) and the holidays are not spikes
    r = inc.iloc[0]
    assert (r["start"], r["end"], r["days"]) == (date(2024, 6, 12), date(2024, 6, 14), 3)
    assert r["drivers"] == ["金融功能激活"]
    # 20 a day against the usual 5 (median of the neighbouring working days) on 3 days
    assert (r["tickets"], r["expected"], r["excess"]) == (60, 15.0, 45.0)
    assert "系统升级" in r["terms"] or "升级" in r["terms"]
    assert r["banks"] == "工商银行（45）"


def test_spike_only_reported_in_the_period_it_touches(planted_spike):
    assert anomalies.incidents(planted_spike, P("2024-05"), CAL).empty
    assert len(anomalies.incidents(planted_spike, P("2024-06"), CAL)) == 1


def test_threefold_spike_of_one_category_over_five_working_days_is_found_in_noisy_volume():
    # Poisson volume of about 450 tickets a working day over 11 categories (the sample's mix),
    # one category (照片回执, about 7% = 31 a day) at 3x on Mon 07-15 .. Fri 07-19.
    rng = np.random.default_rng(7)
    cats = ["申领", "补换", "挂失", "金融功能激活", "照片回执", "密码", "就医购药", "乘车", "长者饭堂", "文旅", "其他"]
    share = np.array([0.18, 0.14, 0.08, 0.12, 0.07, 0.08, 0.10, 0.07, 0.04, 0.03, 0.09])
    rows = []
    for d in pd.date_range("2024-05-20", "2024-08-31"):
        lam = (450 if CAL.is_workday(d.date()) else 160) * share
        if date(2024, 7, 15) <= d.date() <= date(2024, 7, 19):
            lam = lam.copy()
            lam[4] *= 3
        for c, n in zip(cats, rng.poisson(lam)):
            rows += [dict(ticket_id=f"{d:%m%d}{c}{i}", channel=H, received_at=d + pd.Timedelta(minutes=i), ticket_type="咨询", category=c)
                     for i in range(n)]
    t = prepare_tickets(ledger_frame("tickets", rows), Settings(), CAL, REPORT_COLUMNS)
    inc = anomalies.incidents(t, P("2024-07"), CAL)
    assert len(inc) == 1
    assert (inc.iloc[0]["start"], inc.iloc[0]["end"]) == (date(2024, 7, 15), date(2024, 7, 19))
    assert inc.iloc[0]["drivers"] == ["照片回执"]
    assert anomalies.incidents(t, P("2024-06-01..2024-07-14"), CAL).empty
    assert anomalies.incidents(t, P("2024-08"), CAL).empty


# ---------------------------------------------------------------- topics


def test_terms_scrub_personal_data_before_segmentation():
    t = prepared([T("A", "2024-05-06 09:00", content="张伟明反映身份证440106198503151234与电话13900001111补换卡进度", citizen_name="张伟明")])
    terms = topics.ticket_terms(t).iloc[0]
    assert "补换卡" in terms  # the domain dictionary keeps it whole
    assert not any("伟明" in w or any(ch.isdigit() for ch in w) for w in terms)
    example = topics.typical_examples(t, 1)[0]
    assert "张伟明" not in example and "13900001111" not in example and "440106198503151234" not in example
    assert "139****1111" in example


def test_terms_by_category_and_week():
    t = prepared([T("A", "2024-05-06 09:00", "补换", content="补换卡进度"), T("B", "2024-05-08 09:00", "补换", content="补换卡邮寄"),
                  T("C", "2024-05-13 09:00", "补换", content="补换卡进度"), T("D", "2024-05-13 10:00", "挂失", content="临时挂失")])
    c = topics.term_counts(t, [topics.CATEGORY, "week"])
    row = c[(c["category"] == "补换") & (c["week"] == pd.Timestamp("2024-05-06")) & (c["term"] == "补换卡")].iloc[0]
    assert (row["tickets"], row["group_tickets"], row["share"]) == (2, 2, 1.0)  # A and B, both in the week of Mon 05-06
    assert set(c.loc[c["category"] == "挂失", "term"]) == {"临时挂失"}


def test_planted_emerging_term_ranks_first():
    base = ["首次申领社保卡需要准备哪些材料", "社保卡损坏后到银行网点补换卡的流程", "社保卡金融功能激活需要到哪个银行网点办理",
            "社保卡社保密码忘记后如何重置"]
    planted = ["乘车码无法生成", "地铁乘车码打不开", "公交乘车码显示错误", "乘车码刷卡失败", "老人乘车码不能用",
               "乘车码闪退", "乘车码页面空白", "乘车码扣费两次"]
    rows = []
    for week, first in (("prev", "2024-05-13"), ("cur", "2024-05-20")):
        for i in range(40):
            rows.append(T(f"{week}{i}", pd.Timestamp(first) + pd.Timedelta(hours=i), content=base[i % 4]))
    for i, text in enumerate(planted):
        rows.append(T(f"new{i}", pd.Timestamp("2024-05-21") + pd.Timedelta(hours=i), "乘车", content=text))
    t = prepared(rows)
    e = topics.emerging_terms(t, P("2024-W21"), P("2024-W20"))
    assert e.iloc[0]["term"] == "乘车码"
    assert (e.iloc[0]["tickets"], e.iloc[0]["previous"]) == (8, 0)
    assert e.iloc[0]["lift"] == pytest.approx(9.0)  # (8 + 1) / (0 + 1)
    assert e.iloc[0]["categories"] == "乘车（8）"
    assert set(e["term"]) == {"乘车码"}  # every other term is flat or in fewer than 3 tickets


def test_hot_topics_counts_share_change_satisfaction_and_a_representative_example():
    rows = [
        # 补换: 4 tickets this May; the first row is an outlier, the other three share their wording
        T("B1", "2024-05-06 09:00", "补换", content="其他事项", closed_at="2024-05-06 10:00", satisfaction="满意"),
        T("B2", "2024-05-07 09:00", "补换", content="补换卡后新卡迟迟未寄到，希望核实制卡进度", closed_at="2024-05-07 10:00", satisfaction="不满意"),
        T("B3", "2024-05-08 09:00", "补换", content="补换卡后新卡一直未寄到，请核实制卡进度。联系13812345678", citizen_name="李大明",
          closed_at="2024-05-08 10:00", satisfaction="满意"),
        T("B4", "2024-05-09 09:00", "补换", channel="信访平台", content="补换卡制卡进度查询"),
        T("A1", "2024-05-06 09:00", "申领", content="首次申领社保卡需要准备哪些材料"),
        T("A2", "2024-05-06 10:00", "申领", content="首次申领社保卡需要准备哪些材料"),
        T("N1", "2024-05-06 11:00", None, content="无类别"),
        T("P1", "2024-04-08 09:00", "补换", content="补换"), T("P2", "2024-04-09 09:00", "补换", content="补换"),
        T("P3", "2024-04-10 09:00", "申领", content="申领"),
    ]
    t = prepared(rows)
    h = topics.hot_topics(t, P("2024-05"), P("2024-04"), top=5)
    assert list(h["topic"]) == ["补换", "申领"]  # （未填） is never a hot topic
    b = h.iloc[0]
    assert (b["tickets"], b["share"], b["previous"], b["change"]) == (4, 4 / 7, 2, 2)
    # 12345 tickets of 补换 closed in May and rated: B1 满意, B2 不满意, B3 满意 -> 2/3
    assert (b["rated"], b["satisfaction_rate"]) == (3, pytest.approx(2 / 3))
    assert b["satisfaction_low"] == pytest.approx(wilson_interval(2, 3)[0])
    assert "制卡进度" in b["terms"]
    assert b["example"].startswith("补换卡后新卡") and "13812345678" not in b["example"]


# ---------------------------------------------------------------- repeat callers

ID_A = "440106198503151234"


@pytest.fixture
def callers():
    return prepared([
        T("A1", "2024-05-06 09:00", "补换", id_number=ID_A, phone="13800001111"),
        T("A2", "2024-05-09 15:00", "补换", channel="穗好办APP", phone="13800001111"),  # same mobile, no ID: the same caller
        T("A3", "2024-05-20 09:00", "密码", phone="13800001111"),  # another matter
        T("B1", "2024-05-02 09:00", "补换", id_number="44010619900101123X"),
        T("B2", "2024-06-13 09:00", "补换", id_number="44010619900101123X"),  # 42 days later: a new matter
        T("C1", "2024-05-10 09:00", "补换", id_number="440106197001011111", phone="02012345678"),
        T("D1", "2024-05-11 09:00", "补换", id_number="440106197002021111", phone="02012345678"),  # shared landline: not linked
        T("E1", "2024-05-12 09:00", "补换"),  # no ID, no phone
    ])


def test_repeat_caller_across_two_channels_is_counted_once(callers):
    e = repeats.repeat_episodes(callers, P("2024-05-01..2024-06-30"), b"k" * 32)
    s = repeats.repeat_summary(e).iloc[0]
    assert (s["raw"], s["deduplicated"], s["repeats"], s["repeat_callers"], s["cross_channel"], s["no_key"]) == (8, 7, 1, 1, 1, 1)
    g = repeats.repeat_groups(e)
    assert len(g) == 1 and g.iloc[0]["ticket_ids"] == "A1、A2" and g.iloc[0]["channels"] == "12345热线、穗好办APP"
    assert g.iloc[0]["span_days"] == pytest.approx(3.25)
    by_channel = repeats.repeat_summary(e, "channel").set_index("channel")
    assert (by_channel.loc[H, "raw"], by_channel.loc[H, "deduplicated"]) == (7, 7)  # A2 is on 穗好办; the matter counts once in each
    assert e.set_index("ticket_id")["caller"]["A3"] == e.set_index("ticket_id")["caller"]["A1"]


def test_no_raw_id_or_phone_in_any_output(callers):
    e = repeats.repeat_episodes(callers, P("2024-05-01..2024-06-30"), b"k" * 32)
    text = "\n".join(f.to_csv() for f in (e, repeats.repeat_groups(e), repeats.repeat_summary(e), repeats.repeat_summary(e, "category")))
    for secret in (ID_A, "13800001111", "44010619900101123X", "440106197001011111", "02012345678"):
        assert secret not in text, secret
    assert not re.search(r"\d{11,}", text)  # no phone- or ID-like digit run at all
    assert not {"id_number", "phone", "citizen_name"} & set(e.columns)


def test_pseudonyms_depend_on_the_key_and_link_old_ids(callers):
    p = P("2024-05-01..2024-06-30")
    a = repeats.repeat_episodes(callers, p, b"k" * 32).set_index("ticket_id")["caller"]
    b = repeats.repeat_episodes(callers, p, b"q" * 32).set_index("ticket_id")["caller"]
    assert a["A1"].startswith("C") and len(a["A1"]) == 11 and a["A1"] != b["A1"]
    assert pd.isna(a["E1"]) and a["C1"] != a["D1"]
    assert repeats.normalise_id("440106850315123") == "44010619850315123" + repeats.id_check_digit("44010619850315123")


def test_deployment_key_is_created_once_owner_only(tmp_path):
    path = tmp_path / "interim" / "citizen_key"
    k1 = repeats.deployment_key(path)
    assert len(k1) == 32 and oct(path.stat().st_mode & 0o777) == "0o600"
    assert repeats.deployment_key(path) == k1


# ---------------------------------------------------------------- drivers


def test_dissatisfaction_by_category_with_appeals_and_tests():
    rows = [T(f"A{i}", "2024-05-06 09:00", "补换", closed_at="2024-05-06 12:00", satisfaction="满意") for i in range(6)]
    rows += [T("A6", "2024-05-06 09:00", "补换", closed_at="2024-05-06 12:00", satisfaction="不满意", appeal="申诉成功"),
             T("A7", "2024-05-06 09:00", "补换", closed_at="2024-05-06 12:00", satisfaction="不满意", appeal="申诉失败"),
             T("A8", "2024-05-06 09:00", "补换", closed_at="2024-05-06 12:00", satisfaction="不满意"),
             T("A9", "2024-05-06 09:00", "补换", closed_at="2024-05-06 12:00", satisfaction="不满意")]
    rows += [T(f"B{i}", "2024-05-06 09:00", "申领", closed_at="2024-05-06 12:00", satisfaction="满意") for i in range(10)]
    t = prepared(rows)
    d, p = drivers.dissatisfaction(t, P("2024-05"), "category")
    d = d.set_index("group")
    # 补换: 10 rated by citizens, the upheld 不满意 leaves the denominator: 9 rated, 3 counting, 4 recorded, 2 appealed, 1 upheld
    assert tuple(d.loc["补换", ["rated", "dissatisfied", "dissatisfied_raw", "appeals_filed", "appeals_upheld"]]) == (9, 3, 4, 2, 1)
    assert d.loc["补换", "rate"] == pytest.approx(1 / 3) and d.loc["补换", "upheld_rate"] == 0.5
    assert tuple(d.loc["合计", ["rated", "dissatisfied"]]) == (19, 3)
    k = hotline_kpis(t, P("2024-05"))
    assert (k["rated"], k["dissatisfied"]) == (19, 3)  # the same counts as the contract KPI
    assert p == pytest.approx(fisher_exact([[3, 6], [0, 10]]).pvalue)  # 2 x 2 with small expected counts: Fisher
    assert d.loc["补换", "low"] == pytest.approx(wilson_interval(3, 9)[0])


# ---------------------------------------------------------------- rankings


def _district_rows(district, rated, unsatisfied):
    return [T(f"{district}{i}", "2024-05-06 09:00", closed_at="2024-05-06 12:00", district=district,
              satisfaction="不满意" if i < unsatisfied else "满意") for i in range(rated)]


def test_small_district_is_not_ranked_above_a_large_one_without_its_interval():
    rows = _district_rows("白云", 5, 1) + _district_rows("天河", 500, 40) + _district_rows("越秀", 5, 0) + _district_rows(None, 3, 0)
    ds = dataset(tickets=rows)
    t = prepared(rows)
    m = rankings.unit_metrics(ds, t, P("2024-05"), "district")
    s = m[m["metric"] == "satisfaction"].set_index("unit")
    # Wilson lower bounds: 天河 460/500 -> 0.893, 越秀 5/5 -> 0.566, 白云 4/5 -> 0.376
    assert list(s.index) == ["天河", "越秀", "白云", UNFILLED]
    assert (s.loc["天河", "rank"], s.loc["越秀", "rank"], s.loc["白云", "rank"]) == (1, 2, 3)
    assert pd.isna(s.loc[UNFILLED, "rank"])
    assert s.loc["白云", "low"] == pytest.approx(0.3755, abs=1e-4) and s.loc["白云", "high"] == pytest.approx(0.9638, abs=1e-4)
    assert s.loc["天河", "low"] == pytest.approx(0.8929, abs=1e-4)
    # 白云's 80% is below the 90% line, but its interval reaches above it: below, not clearly below
    assert bool(s.loc["白云", "below_line"]) and not bool(s.loc["白云", "clearly_below"])
    assert not bool(s.loc["天河", "below_line"]) and not bool(s.loc[UNFILLED, "below_line"])
    assert list(rankings.below_line(m).query("metric == 'satisfaction'")["unit"]) == ["白云"]


def test_outlet_metrics_by_bank():
    outlets = [dict(outlet_id="O1", name="一", bank="工商银行", district="白云"), dict(outlet_id="O2", name="二", bank="工商银行", district="白云"),
               dict(outlet_id="O3", name="三", bank="建设银行", district="天河")]
    scores = lambda v: {c: v for c in rankings.SCORES}  # noqa: E731
    inspections = [dict(inspection_id="I1", outlet_id="O1", inspected_on="2024-05-06", **scores(90)),
                   dict(inspection_id="I2", outlet_id="O2", inspected_on="2024-05-07", **scores(80)),
                   dict(inspection_id="I3", outlet_id="O3", inspected_on="2024-05-08", **scores(70)),
                   dict(inspection_id="I4", outlet_id="O3", inspected_on="2024-04-08", **scores(10))]  # April: not counted
    checks = [dict(check_id=f"C{i}", outlet_id="O1" if i < 4 else "O3", checked_at="2024-05-06 10:00", answered=i != 0) for i in range(6)]
    complaints = [dict(complaint_id="K1", received_on="2024-05-06", complainant="持卡人", outlet_id="O3", valid=True),
                  dict(complaint_id="K2", received_on="2024-05-07", complainant="持卡人", outlet_id="O3", valid=False)]
    ds = dataset(tickets=[], outlets=outlets, outlet_inspections=inspections, phone_checks=checks, complaints=complaints)
    m = rankings.unit_metrics(ds, prepared([]), P("2024-05"), "bank").set_index(["metric", "unit"])
    assert m.loc[("complaints_per_outlet", "建设银行"), "value"] == 1.0  # 1 valid complaint, 1 outlet
    assert m.loc[("complaints_per_outlet", "建设银行"), "high"] == pytest.approx(poisson_interval(1)[1])
    assert m.loc[("complaints_per_outlet", "工商银行"), "rank"] == 1 and bool(m.loc[("complaints_per_outlet", "建设银行"), "below_line"])
    assert m.loc[("inspection_score", "工商银行"), "value"] == 85  # (90 + 80) / 2
    assert m.loc[("inspection_score", "工商银行"), "low"] == pytest.approx(mean_interval([90, 80])[0])
    assert m.loc[("inspection_score", "工商银行"), "rank"] == 1  # 建设银行's single inspection has no interval: after
    assert m.loc[("answer_rate", "工商银行"), "value"] == 0.75  # 3 of 4 answered
    assert m.loc[("answer_rate", "工商银行"), "line"] == pytest.approx(5 / 6)


# ---------------------------------------------------------------- late tickets, findings


def test_late_tickets_say_how_late_in_days_and_working_days():
    rows = [
        T("L1", "2024-05-09 10:00", "补换", due_at="2024-05-10 23:59:59", closed_at="2024-05-13 10:00:00"),
        T("L2", "2024-05-20 10:00", "密码", due_at="2024-05-21 23:59:59"),  # open at the cut-off
        T("OK", "2024-05-20 10:00", "密码", due_at="2024-05-21 23:59:59", closed_at="2024-05-21 10:00:00"),
        T("X", "2024-05-20 10:00", "密码", channel="信访平台", due_at="2024-05-21 23:59:59"),  # not 12345
    ]
    t = prepared(rows)
    p = P("2024-05", "2024-05-24T12:00")
    late = backlog.late_tickets(t, p, CAL).set_index("ticket_id")
    assert list(late.index) == ["L2", "L1"]  # overdue first
    # L1: 58 h late = 2.4 days; working days after Fri 05-10 to Mon 05-13: Sat 05-11 (调休, worked) and Mon 05-13
    assert (late.loc["L1", "state"], late.loc["L1", "late_days"], late.loc["L1", "late_workdays"]) == ("超时办结", 2.4, 2)
    # L2: open from 05-21 23:59:59 to the cut-off 05-24 12:00 = 2.5 days; 05-22, 05-23, 05-24
    assert (late.loc["L2", "state"], late.loc["L2", "late_days"], late.loc["L2", "late_workdays"]) == ("逾期未办结", 2.5, 3)
    k = hotline_kpis(t, p)
    assert k["tickets_due"] - k["closed_on_time"] == len(late)  # the list reconciles with the rate


def test_findings_are_grouped_and_name_every_deduction_charged():
    rows = [T(f"L{i}", "2024-05-06 09:00", "补换", due_at="2024-05-07 23:59:59", closed_at="2024-05-09 10:00") for i in range(4)]
    t = prepared(rows)
    p = P("2024-05")
    kpis = {
        "hotline": hotline_kpis(t, p),
        "indicators": {"A4": {"name": "内部培训", "value": 10, "target": 100, "status": "at_risk", "pace_target": 20.0}},
        "documents": {"late": 0, "late_days": 0},
        "flags": [],
        "penalties": {"total_yuan": 330.0, "items": [
            {"rule": "B6", "clause": "3.4(2)", "basis": "王**（SB1） 2024-05 抽检差错 1 笔 × 10 元", "amount_yuan": 10.0, "date": "2024-05-31"},
            {"rule": "B6", "clause": "3.4(2)", "basis": "李*（SB2） 2024-05 抽检差错 2 笔 × 10 元", "amount_yuan": 20.0, "date": "2024-05-31"},
            {"rule": "B5", "clause": "3.4(1)", "basis": "有效投诉 K1", "amount_yuan": 300.0, "date": "2024-05-08"}]},
    }
    f = findings.grouped_findings(dataset(tickets=rows), t, kpis, p, previous_period(p), CAL)
    kinds = [x["kind"] for x in f]
    assert kinds.count("按时办结") == 1  # four late tickets: one finding with its list
    assert f[kinds.index("按时办结")]["items"] == ["按业务类别：补换 4 件"]
    money = [x for x in f if x["kind"] == "违约金"]
    assert [(x["amount_yuan"], len(x["items"])) for x in money] == [(300.0, 1), (30.0, 2)]  # B5 then B6
    assert sum(x["amount_yuan"] for x in money) == kpis["penalties"]["total_yuan"]
    assert not any("避免" in x["suggestion"] for x in f)
    assert any(x["kind"] == "年度任务进度" for x in f)


def test_ticket_terms_come_from_the_scrubbed_text_and_identical_texts_are_done_once():
    from sscard_analysis.analysis import topics as T

    odd = pd.DataFrame({
        T.CONTENT: pd.array(["陈小明反映社保卡激活失败，电话13812345678", "陈小明反映社保卡激活失败，电话13812345678",
                             None, "身份证440106199001011234补卡进度", "社保卡激活失败"], dtype="string"),
        T.CITIZEN_NAME: pd.array(["陈小明", "陈小明", "李四", None, "王"], dtype="string")})
    T._scrubbed_terms.cache_clear()
    terms = T.ticket_terms(odd)
    assert terms.tolist() == T.scrubbed_text(odd).map(T._terms_of).tolist()  # what the scrubbed content gives
    assert not any("陈小明" in w or "13812345678" in w or "440106199001011234" in w for s in terms for w in s)
    assert terms[0] == terms[4] | {"电话"} == {"激活失败", "电话"} and terms[3] == {"身份证", "补卡"} and terms[2] == frozenset()
    assert T._scrubbed_terms.cache_info().misses == 4  # the repeated text was scrubbed and segmented once


def test_the_wilson_interval_is_the_one_scipy_gives():
    from scipy.stats import binomtest

    assert wilson_interval(1, 2) == pytest.approx((0.094531, 0.905469), abs=1e-6)  # by hand: 0.5 ∓ 1.959964·√0.3650912 ÷ 2.9207294
    assert wilson_interval(0, 0) is None and wilson_interval(0, 5)[0] == 0.0 and wilson_interval(5, 5)[1] == 1.0
    # None and all are exact ends for every n (a rounding residue made 0 of 3 look above an overall rate of 0)
    assert all(wilson_interval(0, n)[0] == 0.0 and wilson_interval(n, n)[1] == 1.0 for n in range(1, 400))
    with pytest.raises(ValueError):
        wilson_interval(4, 3)
    for n in (1, 3, 17, 250, 12_345):
        for k in sorted({0, 1, n // 3, n - 1, n}):
            for level in (0.9, 0.95, 0.99):
                ci = binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
                assert wilson_interval(k, n, level) == pytest.approx((ci.low, ci.high), abs=1e-12)
