"""Time: the working-day calendar (State Council schedule, 调休) and reporting periods with their cut-off.

May import only ``config``.
"""
