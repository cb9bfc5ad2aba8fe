"""PSAM card reconciliation on planted card histories (delivery/psam.py)."""

from datetime import datetime

import pytest

from sscard_analysis.delivery.psam import reconcile
from tests._frames import ledger_frame


def _events(*rows):
    return ledger_frame("psam_cards", [{"card_no": c, "event": e, "event_on": d, "unit": u} for c, e, d, u in rows])


APPS = ledger_frame("applications", [
    {"app_id": "YY1", "name": "长者饭堂", "unit": "市民政服务中心", "stage": "已上线"},
    {"app_id": "YY2", "name": "旧门禁", "unit": "市旧门禁中心", "stage": "停用"},
])


@pytest.fixture
def planted():
    return _events(
        # C1: a clean history: applied, issued, spot-checked, recovered
        ("C1", "申领", "2024-03-04", "市民政服务中心"), ("C1", "发放", "2024-03-08", "市民政服务中心"),
        ("C1", "抽检", "2024-04-10", "市民政服务中心"), ("C1", "回收", "2024-06-03", "市民政服务中心"),
        # C2: issued twice without a recovery in between
        ("C2", "申领", "2024-03-04", "市民政服务中心"), ("C2", "发放", "2024-03-06", "市民政服务中心"),
        ("C2", "发放", "2024-05-06", "市民政服务中心"),
        # C3: recovered before it was issued
        ("C3", "申领", "2024-03-04", "市民政服务中心"), ("C3", "回收", "2024-03-10", "市民政服务中心"),
        ("C3", "发放", "2024-03-20", "市民政服务中心"),
        # C4: still issued to a unit whose only application has ended
        ("C4", "申领", "2024-03-04", "市旧门禁中心"), ("C4", "发放", "2024-03-07", "市旧门禁中心"),
        # C5: spot-checked before it was issued, and issued without any application
        ("C5", "抽检", "2024-03-05", "市民政服务中心"), ("C5", "发放", "2024-03-09", "市民政服务中心"),
        # C6: a recovery after the cut-off does not count yet
        ("C6", "申领", "2024-03-04", "市民政服务中心"), ("C6", "发放", "2024-03-05", "市民政服务中心"),
        ("C6", "回收", "2024-07-01", "市民政服务中心"),
    )


def test_each_planted_inconsistency_is_listed(planted):
    cards, issues = reconcile(planted, APPS, as_of=datetime(2024, 6, 30, 23, 59, 59))
    found = sorted(zip(issues["卡号"], issues["问题"], issues["日期"]))
    assert found == [
        ("C2", "重复发放", "2024-05-06"),
        ("C3", "回收早于发放", "2024-03-10"),
        ("C4", "应用停用后未回收", "2024-03-07"),
        ("C5", "发放前无申领", "2024-03-09"),
        ("C5", "抽检时卡片未发放", "2024-03-05"),
    ]
    by_card = cards.set_index("卡号")
    assert by_card.loc["C1", "状态"] == "已回收" and by_card.loc["C1", "问题数"] == 0
    assert by_card.loc["C1", "抽检"] == "2024-04-10"
    assert by_card.loc["C2", "发放"] == "2024-03-06、2024-05-06"
    assert by_card.loc["C6", "状态"] == "已发放（在用）" and by_card.loc["C6", "回收"] == ""  # the July recovery is after the cut-off


def test_after_the_cut_off_the_recovery_counts(planted):
    cards, _ = reconcile(planted, APPS)
    assert cards.set_index("卡号").loc["C6", "状态"] == "已回收"


def test_recovered_twice_and_recovered_without_issue():
    ev = _events(("D1", "申领", "2024-03-01", "U"), ("D1", "发放", "2024-03-02", "U"), ("D1", "回收", "2024-03-03", "U"),
                 ("D1", "回收", "2024-03-09", "U"), ("D2", "申领", "2024-03-01", "U"), ("D2", "回收", "2024-03-05", "U"))
    _, issues = reconcile(ev)
    assert sorted(zip(issues["卡号"], issues["问题"])) == [("D1", "重复回收"), ("D2", "无发放记录即回收")]


def test_empty_ledger_gives_empty_tables():
    cards, issues = reconcile(_events())
    assert cards.empty and issues.empty and list(issues.columns) == ["卡号", "问题", "日期", "说明", "来源"]
