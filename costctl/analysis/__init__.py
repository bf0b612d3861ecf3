"""Analysis: pure functions from normalized frames to results that renderers show."""
