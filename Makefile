# Convenience targets; the real work is in the scripts they call.
.PHONY: binary binary-smoke bench-startup

# Self-contained costctl for this platform: dist/costctl-VERSION-PLATFORM (one file) and .tar.gz (+ .sha256), docs/binary.md.
binary:
	scripts/build-binary

# The smoke test of that artifact (set COSTCTL_BUILD_BINARY=1 so a missing archive fails instead of skipping).
binary-smoke: binary
	COSTCTL_BUILD_BINARY=1 python -m pytest tests/test_binary_smoke.py

# Start-up medians of every layout built (COSTCTL_LAYOUT=both scripts/build-binary) and the pip-installed command.
bench-startup:
	python bench/startup.py
