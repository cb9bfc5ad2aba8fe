"""``python -m sscard_analysis.cli`` runs the ``sscard`` command."""

from . import run

run()
