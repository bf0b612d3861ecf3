"""Monitoring core: what ``costctl check`` and ``costctl export-prometheus`` compute.

Sits between the loader (records per provider instance, as plain-Python blocks) and the
renderers in ``costctl.output.nagios`` / ``costctl.output.prometheus``. Nothing here imports
click, pandas or numpy: a check answered from a warm cache must start fast, so every sum,
baseline and forecast is computed over builtin lists. Modules follow nagiosplugin's split:
``range`` (threshold syntax), ``thresholds`` (evaluation), ``perfdata`` (one rendering),
``measure`` (the value of a period), ``evaluate`` (a Result per provider), ``summary``.
The exceptions are ``anomaly_check`` and ``idle_check``, which call the frame-based anomaly
detection and idle scan lazily, only when ``--period anomalies``/``idle`` has to compute; their
results are stored (``precomputed``, ``stored_periods``) and a warm check judges them with
``anomaly_judge``/``idle_check.judge`` and ``anomaly_rule``, all pure Python.
"""
