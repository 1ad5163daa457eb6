"""The budget planner as a use case: which policy gives the most accurate records within a
budget, from the project's own recorded labels (``GET /v1/projects/{id}/plan``,
``datafab plan``), applying it (``POST /v1/projects/{id}/plan/apply``, ``datafab plan
--apply``), and tracking the applied plan's prediction against what the records reach (the
dashboard). The maths is :mod:`datafab.quality.planning`.

* ``evidence`` — the project's labels, gold, model answers and price per label as codes;
* ``plans`` — plan, apply;
* ``tracking`` — the applied plan against the records since, and the frontier to draw.
"""
