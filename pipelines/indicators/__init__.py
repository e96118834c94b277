"""Indicator maths: Σ numerator / Σ denominator × factor at every geography level."""
