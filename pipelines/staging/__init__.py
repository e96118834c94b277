"""Staging: every measure as one long, typed table keyed by municipality, year and measure."""
