"""Renderers: turn analysis results into table, JSON, CSV, Nagios and Prometheus text."""
