"""GCP: the billing export in BigQuery, the export-file format and the idle scan.

Importing this package imports nothing else (the google SDKs load on first use):
``provider.GcpProvider`` is what the registry loads.
"""
