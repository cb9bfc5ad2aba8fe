"""Inline ledger frames shaped as the reader returns them (every column, typed)."""

import pandas as pd

from sscard_analysis.ingest import ledgers as L

_DT = (L.DATETIME, L.DATE, L.MONTH)


def ledger_frame(ledger: str, rows: list[dict]) -> pd.DataFrame:
    spec = L.LEDGERS[ledger]
    data = {}
    for col in spec.columns:
        values = [r.get(col.name) for r in rows]
        if col.kind in _DT:
            data[col.name] = pd.to_datetime(pd.Series(values, dtype=object))
        elif col.kind in (L.FLOAT, L.INT):
            data[col.name] = pd.to_numeric(pd.Series(values, dtype=object))
        else:
            data[col.name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data)


def dataset(settings=None, **frames):
    """A DataSet holding the given ledger frames (rows as dicts); other ledgers absent."""
    from pathlib import Path

    from sscard_analysis.config import Settings
    from sscard_analysis.ingest.reader import DataSet, FileRecord

    out, files = {}, []
    for name in L.LEDGERS:
        rows = frames.get(name)
        out[name] = ledger_frame(name, rows or [])
        if rows is not None:
            files.append(FileRecord(file=f"{name}.xlsx", ledger=name, rows_read=len(rows), accepted=len(rows)))
    return DataSet(Path("."), settings or Settings(), out, files, pd.DataFrame(), pd.DataFrame(), [], {})
