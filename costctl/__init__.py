"""costctl: cloud cost records from AWS, Azure and GCP, normalized, cached, and reported for monitoring."""

__version__ = "0.1.0"
