"""``costctl idle``: idle, orphaned and oversized cloud resources and what they cost.

Flow: a scanner per cloud (``aws``, ``azure``, ``gcp``) lists resources through the cloud's own
APIs and yields ``Finding`` objects with the measured figure; ``savings`` prices each finding from
the cached cost records (or a price list); ``findings`` totals them for the renderer and ``check``.
"""
