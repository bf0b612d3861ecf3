"""One package per cloud: everything that knows a cloud's APIs, SDK or export format.

``costctl/clouds/<cloud>/`` holds a cloud's session and auth, its retry policy, its cost sources,
its export-format mapping, its idle scanners and their pricing. Each exposes a provider class
(``provider.py``) that the registry (``costctl.providers.registry``) finds through the
``costctl.providers`` entry points, like a third-party plugin. Code outside this package never
imports a cloud package or a cloud SDK: it asks the provider object for a capability instead
(``tests/test_layout.py`` enforces it).
"""
