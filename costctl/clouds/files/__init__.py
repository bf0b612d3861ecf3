"""The ``files`` provider: local or fetched cost export files (FOCUS, CUR, Azure, GCP) read by the format engine."""
