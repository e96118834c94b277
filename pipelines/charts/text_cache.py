"""An Agg canvas that rasterises each distinct text once per process and reuses the bitmap.

Why: our charts and profiles are mostly text (tick labels, county names, values, footers), and
the same strings recur across hundreds of figures. Matplotlib 3.10+ rasterises text one glyph at
a time in a Python loop, which made text about a third of all drawing time. Here a string is
laid out and rasterised as one greyscale bitmap (FreeType's own string rendering, as matplotlib
did up to 3.9), kept in a bounded cache keyed by string, font, size, dpi and antialiasing, and
stamped onto the canvas in the text colour — the same C routine matplotlib uses for every text.

Text metrics (width, height, descent) are cached per process too: matplotlib keeps its metrics
cache per renderer, and every figure has its own renderer, so each figure measured the same
strings again. Renderers themselves are not shared, so a figure's pixels stay its own (the
profiles blit into theirs).

Anything this path does not cover — math text, TeX, OpenType features or a language tag, or a
matplotlib without the string-rendering API — goes through matplotlib's own ``draw_text``.
"""

from __future__ import annotations

import math
from collections import OrderedDict

from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.ft2font import FT2Font

CACHE_SIZE = 8192
_STRING_RENDERING = all(
    hasattr(FT2Font, name)
    for name in ("set_text", "draw_glyphs_to_bitmap", "get_image", "get_bitmap_offset", "get_descent")
)


class CachedTextRenderer(RendererAgg):
    """``RendererAgg`` whose plain text comes from a per-process bitmap cache."""

    _bitmaps: OrderedDict = OrderedDict()
    _metrics: OrderedDict = OrderedDict()

    def get_text_width_height_descent(self, s, prop, ismath):
        # Matplotlib caches text metrics per renderer, and every figure has its own renderer, so
        # each figure measured "2014", "Oslo" and the footer again; this cache is per process.
        if ismath:
            return super().get_text_width_height_descent(s, prop, ismath)
        key = (s, _font_key(prop), self.dpi, get_hinting_flag())
        return _remember(
            self._metrics, key, lambda: RendererAgg.get_text_width_height_descent(self, s, prop, ismath)
        )

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath or not _STRING_RENDERING or _needs_shaping(mtext):
            return super().draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
        antialiased = bool(gc.get_antialiased())
        key = (s, _font_key(prop), self.dpi, antialiased, get_hinting_flag())
        image, x_offset, y_offset, descent = _remember(
            self._bitmaps, key, lambda: _rasterise(self._prepare_font(prop), s, antialiased)
        )
        if image.size == 0:
            return None
        # The bitmap's corner lies its offset along the baseline and its descent below it; both
        # turn with the text (y grows downwards here).
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        x = round(x + x_offset * cos + (descent + y_offset) * sin)
        y = round(y - x_offset * sin + (descent + y_offset) * cos)
        self._renderer.draw_text_image(image, x, y + 1, angle, gc)
        return None


def _remember(cache: OrderedDict, key: tuple, compute):
    """``cache[key]``, computed on a miss; the least recently used entry goes beyond CACHE_SIZE."""
    value = cache.get(key)
    if value is None:
        value = cache[key] = compute()
        if len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    else:
        cache.move_to_end(key)
    return value


def _needs_shaping(mtext) -> bool:
    if mtext is None:
        return False
    features = getattr(mtext, "get_fontfeatures", lambda: None)()
    language = getattr(mtext, "get_language", lambda: None)()
    return bool(features) or bool(language)


def _font_key(prop) -> tuple:
    return (
        tuple(prop.get_family()), prop.get_style(), prop.get_variant(), prop.get_weight(),
        prop.get_stretch(), prop.get_size_in_points(), prop.get_file(),
    )  # fmt: skip


def _rasterise(font, s: str, antialiased: bool):
    """The whole string as one greyscale bitmap, its offset and descent in pixels."""
    font.set_text(s, 0.0, flags=get_hinting_flag())
    font.draw_glyphs_to_bitmap(antialiased=antialiased)
    x_offset, y_offset = font.get_bitmap_offset()
    image = font.get_image().copy()  # the font object's buffer is reused by the next string
    if not antialiased:
        image *= 0xFF
    return image, x_offset / 64.0, y_offset / 64.0, font.get_descent() / 64.0


class CachedTextCanvas(FigureCanvasAgg):
    """Agg canvas with :class:`CachedTextRenderer` (one per canvas, as matplotlib's own)."""

    def get_renderer(self):
        w, h = self.get_width_height(physical=True)
        key = (w, h, self.figure.dpi)
        if self._lastKey != key or not isinstance(getattr(self, "renderer", None), CachedTextRenderer):
            self.renderer = CachedTextRenderer(w, h, self.figure.dpi)
            self._lastKey = key
        return self.renderer
