"""Evaluation logic without storage: reference specs and automatic graders
(``datafab.evals.graders``), and gap finding over leaderboard figures
(``datafab.evals.gaps``). The rating maths lives in ``datafab.quality.leaderboard``; the
services layer combines these with the store.
"""
