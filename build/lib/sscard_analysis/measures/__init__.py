"""The period's figures: hotline on-time and satisfaction, recorded activity, document deadlines, staffing.

Pure functions of ledger frames and a period. May import from ``ingest`` and below.
"""
