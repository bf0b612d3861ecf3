"""Provider plugins: each turns one cloud's cost data into the normalized record."""
