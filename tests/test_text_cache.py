"""The cached-text Agg canvas draws the same picture as matplotlib's own, and reuses bitmaps."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from pipelines.charts import style
from pipelines.charts.text_cache import CachedTextCanvas, CachedTextRenderer

TEXTS = [
    # (x, y, text, keyword arguments): horizontal, bold, rotated, right-aligned, Norwegian letters
    (0.05, 0.85, "Bostøtte til barnefamilier, 2014–2024", {"fontsize": 14, "fontweight": "bold"}),
    (0.05, 0.60, "1\u00a0234,5 per 1000 innbyggere", {"fontsize": 10}),
    (0.95, 0.40, "Kilde: Statistisk sentralbyrå (SSB)", {"fontsize": 8, "ha": "right"}),
    (0.02, 0.10, "prosent", {"fontsize": 10, "rotation": 90}),
    (0.50, 0.20, "Ålesund", {"fontsize": 9, "rotation": 30}),
]


def _render(canvas_class) -> np.ndarray:
    with style.house_style():
        fig = Figure(figsize=(4, 3), dpi=100, facecolor="white")
        canvas = canvas_class(fig)
        for x, y, text, kwargs in TEXTS:
            fig.text(x, y, text, **kwargs)
        canvas.draw()
        return np.asarray(canvas.buffer_rgba())[..., :3].astype(int).copy()


def _ink_box(image: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.nonzero(image.min(axis=2) < 128)
    return rows.min(), rows.max(), cols.min(), cols.max()


def test_cached_text_matches_matplotlib_to_a_pixel():
    ours, reference = _render(CachedTextCanvas), _render(FigureCanvasAgg)
    # Same ink in the same place: the bounding box of dark pixels agrees within one pixel ...
    assert np.abs(np.subtract(_ink_box(ours), _ink_box(reference))).max() <= 1
    # ... and the amount of ink agrees within 3 % (glyph positions may differ by a subpixel).
    ink_ours, ink_reference = (255 - ours).sum(), (255 - reference).sum()
    assert abs(ink_ours - ink_reference) / ink_reference < 0.03
    # Nothing is drawn twice or missing: no large region differs.
    assert (np.abs(ours - reference).max(axis=2) > 128).mean() < 0.01


def test_each_string_is_rasterised_once_and_reused():
    CachedTextRenderer._bitmaps.clear()
    _render(CachedTextCanvas)
    after_first = len(CachedTextRenderer._bitmaps)
    assert after_first >= len(TEXTS)
    first = _render(CachedTextCanvas)
    assert len(CachedTextRenderer._bitmaps) == after_first  # second figure: all hits
    np.testing.assert_array_equal(first, _render(CachedTextCanvas))


def test_math_text_goes_through_matplotlib():
    CachedTextRenderer._bitmaps.clear()
    with style.house_style():
        fig = Figure(figsize=(2, 1), dpi=100)
        canvas = CachedTextCanvas(fig)
        fig.text(0.1, 0.5, r"$x^2$")
        canvas.draw()
    assert CachedTextRenderer._bitmaps == {}
    assert (np.asarray(canvas.buffer_rgba())[..., :3] < 128).any()


def test_figures_keep_their_own_pixels_and_share_text_metrics():
    CachedTextRenderer._metrics.clear()
    with style.house_style():
        a, b = style.new_figure(), style.new_figure()
    assert isinstance(a.canvas.get_renderer(), CachedTextRenderer)
    # One renderer per figure, so drawing one never overwrites another's pixels (the profiles blit).
    assert a.canvas.get_renderer() is not b.canvas.get_renderer()
    _render(CachedTextCanvas)
    measured = len(CachedTextRenderer._metrics)
    assert measured >= len(TEXTS)
    _render(CachedTextCanvas)  # a new figure and renderer: every measurement is a hit
    assert len(CachedTextRenderer._metrics) == measured
