"""Exploratory analysis of tickets and outlets: trends, anomalies, topics, repeat callers, dissatisfaction drivers, rankings.

Tidy pandas in and out, personal data masked or never present. May import
from ``contract`` and below.
"""
