"""Reader tests that currently fail: the reader does not yet follow DATA_CONTRACT / BAD_INPUTS here.

Each test is ``xfail(strict=True)`` with the bug described in its reason, so
it turns into an error (XPASS) as soon as the bug is fixed: then move it to
``test_io.py``.
"""

from __future__ import annotations

import pytest

from test_io import (
    HEAD,
    XlError,
    read,
    rec,
    trow,
    write_xlsx,
)

pytestmark = pytest.mark.usefixtures("sscard_cache")


@pytest.mark.xfail(
    strict=True,
    reason="BAD_INPUTS 13 / DATA_CONTRACT 1 (a bad optional value is blanked and counted as a warning): a real "
    "Excel error cell (<c t=\"e\"><v>#VALUE!</v></c>) reaches the reader as '' (python-calamine to_python), so "
    "it is blanked silently with no warning, while the same error typed as text is warned",
)
def test_excel_error_cells_in_optional_columns_are_warned(data_dir):
    write_xlsx(
        data_dir / "tickets.xlsx",
        [[*HEAD, "诉求内容", "办结时间"],
         trow("T1", "12345热线", "2024-05-06", "咨询", XlError("#VALUE!"), "2024-05-07"),
         trow("T2", "12345热线", "2024-05-06", "咨询", "ok", XlError("#N/A"))],
    )
    ds = read(data_dir)
    r = rec(ds, "tickets.xlsx")
    assert (r.accepted, r.quarantined) == (2, 0)
    assert ds.warnings[["row", "column"]].values.tolist() == [[2, "content"], [3, "closed_at"]]

