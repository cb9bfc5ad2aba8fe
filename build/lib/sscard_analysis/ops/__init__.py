"""Operations the seed asks for: the banks' outlet assessment, the inspection planner, letters to banks.

May import from ``reporting`` and below.
"""
