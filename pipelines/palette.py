"""The colours of every output: the Okabe–Ito palette, the colours by role, and tints.

Plain hex strings and arithmetic — no matplotlib — so the HTML report colours its status cells
with the very colours the charts use, without loading a drawing library.
"""

from __future__ import annotations

import re

# Okabe & Ito (2008): eight colours that stay distinguishable for the common colour-vision
# deficiencies and in greyscale print.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

_HEX = re.compile(r"#([0-9a-fA-F]{2})([0-9a-fA-F]{2})([0-9a-fA-F]{2})")


def tint(color: str, strength: float) -> str:
    """``color`` ("#RRGGBB") mixed with white; ``strength`` 1 is the colour itself, 0 is white.

    Bands use opaque tints rather than alpha so that overlapping bands and their legend patches
    show exactly the same colours. Gives lower-case "#rrggbb", as matplotlib writes colours.
    """
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be between 0 and 1, got {strength}")
    match = _HEX.fullmatch(color)
    if match is None:
        raise ValueError(f"expected a colour as #RRGGBB, got {color!r}")
    channels = (int(part, 16) / 255 for part in match.groups())
    return "#" + "".join(f"{round((1 - strength + strength * c) * 255):02x}" for c in channels)


# Colours by role, so outputs say what a colour is for rather than which colour it is.
COLORS: dict[str, str] = {
    "national": OKABE_ITO["blue"],
    "band_range": tint(OKABE_ITO["sky_blue"], 0.28),
    "band_iqr": tint(OKABE_ITO["sky_blue"], 0.62),
    "text": "#222222",
    # #595959 keeps a contrast of 7:1 on white (WCAG AAA) for the small print.
    "muted": "#595959",
    "grid": "#DDDDDD",
    "axis": "#888888",
}
