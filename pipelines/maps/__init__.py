"""Choropleth maps of the indicators: municipalities and counties in the 2024 borders.

Pure modules (no Dagster): :mod:`geometry` reads Kartverket's boundaries and projects them,
:mod:`classes` classes the values and names the colours, :mod:`data` picks a map's rows from the
published release and writes its text alternative and table, :mod:`draw` draws with matplotlib,
:mod:`build` writes every map and the index, :mod:`files` finds them again (without matplotlib).
"""
