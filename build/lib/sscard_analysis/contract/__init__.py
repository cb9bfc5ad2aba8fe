"""The contract: indicators A1–A21, deductions B1–B11 and flags, the ``sscard kpi`` object, early warnings.

May import from ``measures`` and below.
"""
