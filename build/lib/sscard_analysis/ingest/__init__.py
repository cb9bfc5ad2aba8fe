"""Data coming in: the ledger contract, the reader (files → typed frames, quarantine, reconciliation, cache) and the sample generator.

May import from ``dates``, ``config`` and ``privacy``.
"""
