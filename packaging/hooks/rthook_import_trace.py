"""Runtime hook: with COSTCTL_IMPORT_TRACE=PATH, write the loaded top-level module names to PATH at exit.

`python -X importtime` has no equivalent in a frozen executable (the bootloader ignores PYTHON*
variables), yet the smoke test must prove that a warm `check` imports neither pandas nor a cloud SDK
inside the binary. Without the variable this hook costs one environment lookup.
"""

import os

_trace = os.environ.get("COSTCTL_IMPORT_TRACE")
if _trace:
    import atexit
    import sys

    def _write_modules(path: str = _trace) -> None:
        names = sorted({name.partition(".")[0] for name in list(sys.modules)})
        with open(path, "w", encoding="utf-8") as out:
            out.write("\n".join(names) + "\n")

    atexit.register(_write_modules)
