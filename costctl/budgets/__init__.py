"""Budgets: config specs, period arithmetic, scope matching and the status a budget is in.

Everything here is pure Python over plain blocks and ``{date: cost}`` series (no pandas), so that
``costctl check --period budget`` can answer from a warm cache as fast as the other periods.
"""
