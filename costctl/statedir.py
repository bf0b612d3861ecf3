"""Where costctl keeps the user's decisions: ``anomalies/`` beside the cache.

Acknowledgements, idle ignores and notification state live here, not in the cache database,
so ``costctl cache clear`` (which empties the database and the day files) never drops them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from costctl.context import Env


def state_dir(env: Env) -> Path:
    """``<cache.path or $XDG_CACHE_HOME/costctl>/anomalies``."""
    from costctl.config import default_cache_dir

    base = env.config.cache["path"] or str(default_cache_dir(env.environ))
    return Path(base).expanduser() / "anomalies"
