"""``costctl idle``: idle, orphaned and oversized cloud resources and what they cost.

Flow: ``run`` asks each provider object for its ``idle_scanner()`` capability (``scanner``; the
built-in clouds' scanners live in ``costctl/clouds/<cloud>/idle/``), which lists resources through
the cloud's own APIs and yields ``Finding`` objects with the measured figure; ``savings`` prices each
finding from the cached cost records (or a price list); ``findings`` totals them for the renderer and
``check``. Nothing in this package names a cloud's module.
"""
