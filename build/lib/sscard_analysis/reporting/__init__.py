"""Reports: section content, charts, workbooks, rendering (papermill → HTML/PDF/Excel) and scheduled runs.

May import from ``analysis`` and below.
"""
