"""``python -m sscard_analysis.cli`` runs the ``sscard`` command."""

import sys

from . import main

sys.exit(main())
