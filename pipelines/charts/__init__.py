"""Charts for the steering indicators: the house style (``style``) and the indicator charts.

Pure matplotlib/pandas modules without Dagster imports, so assets, notebooks and tests can all
use them. Figures are built on the Agg canvas explicitly and never touch global matplotlib state.
"""
