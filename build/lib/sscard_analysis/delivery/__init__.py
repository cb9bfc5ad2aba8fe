"""What the team hands over: the 表3 document packages, the handover dossier, manifests and their verification.

May import from ``reporting`` and below.
"""
