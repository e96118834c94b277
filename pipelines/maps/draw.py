"""Draw the maps with matplotlib: one figure, two panels (municipalities, counties), built once.

:class:`MapCanvas` builds the figure, the axes, the Oslo-area insets and one ``PathCollection``
per panel (one path per region, holes kept) once; :meth:`MapCanvas.paint` then only sets face
colours, the hatched overlay of suppressed regions, the texts and the legend for each indicator,
and :meth:`MapCanvas.png` renders it. Rebuilding 357 municipal paths per indicator would cost more
than drawing them.

Why ``PathCollection`` rather than ``PolyCollection``: a municipality with islands is one path with
several rings (one element, one colour per municipality), and a ring inside another (an enclave)
stays a hole. Per-element hatches are not a thing in matplotlib, so suppressed regions are a
second collection drawn over the first: white under a dark hatch, never a class colour.

The object API only (``Figure`` on an Agg canvas, no pyplot), inside the charts' house style.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.patches import Patch, Rectangle
from matplotlib.path import Path as MplPath

from pipelines.charts import style
from pipelines.formatting import unit_label_nb
from pipelines.maps import geometry
from pipelines.maps.classes import (
    HATCH_COLOR,
    STATUS_FACES,
    SUPPRESSED_HATCH,
    legend_title_nb,
    status_entries,
)
from pipelines.maps.data import COUNTY, LEVELS, MUNICIPALITY, SHOWN, MapData, subtitle_nb, title_nb
from pipelines.palette import COLORS

FIGURE_SIZE_IN = (10.0, 8.0)
DPI = 150
PANEL_TITLES_NB = {MUNICIPALITY: "Kommuner", COUNTY: "Fylker"}
# The mainland and islands in km (see geometry): a little air around Norway's extent.
EXTENT = (-600.0, -770.0, 640.0, 745.0)
# The Oslo area (Oslo and the municipalities around it), in degrees, and where its inset sits on
# each panel (over Sweden, in the panel's km).
OSLO_LONLAT = (10.25, 59.55, 11.35, 60.2)
INSET_AT = (170.0, -760.0, 460.0, 400.0)  # x, y, width, height in km
INSET_TITLE_NB = "Oslo-området"
REGION_EDGE = {MUNICIPALITY: ("#ffffff", 0.2), COUNTY: ("#ffffff", 0.5)}
COUNTY_OUTLINE = ("#333333", 0.45)
HATCH_LINEWIDTH = 0.6
PALETTE_COLORS = 64
WHITE_FROM = 252  # palette entries this close to white are white


def region_path(region: geometry.Region) -> MplPath:
    """One compound path of every ring of ``region`` (islands and holes alike)."""
    vertices, codes = [], []
    for rings in region.polygons:
        for ring in rings:
            n = len(ring)
            vertices.append(ring)
            codes.append(np.full(n, MplPath.LINETO, dtype=MplPath.code_type))
            codes[-1][0] = MplPath.MOVETO
    return MplPath(np.concatenate(vertices), np.concatenate(codes))


def _oslo_box() -> tuple[float, float, float, float]:
    lon0, lat0, lon1, lat1 = OSLO_LONLAT
    lons = np.linspace(lon0, lon1, 9)
    lats = np.linspace(lat0, lat1, 9)
    grid_lon, grid_lat = np.meshgrid(lons, lats)
    x, y = geometry.project(grid_lon.ravel(), grid_lat.ravel())
    return float(x.min()), float(y.min()), float(x.max()), float(y.max())


@dataclass
class Layer:
    """One level's regions on one axes: the coloured base and the hatched overlay."""

    codes: tuple[str, ...]
    paths: tuple[MplPath, ...]
    base: PathCollection
    hatched: PathCollection


class MapCanvas:
    """The map figure, built once and repainted per indicator (see module)."""

    def __init__(
        self,
        municipalities: Sequence[geometry.Region] | None = None,
        counties: Sequence[geometry.Region] | None = None,
        *,
        dpi: int = DPI,
        figsize: tuple[float, float] = FIGURE_SIZE_IN,
    ) -> None:
        self.regions = {
            MUNICIPALITY: tuple(municipalities if municipalities is not None else geometry.municipalities()),
            COUNTY: tuple(counties if counties is not None else geometry.counties()),
        }
        self.dpi = dpi
        paths = {level: tuple(region_path(r) for r in self.regions[level]) for level in LEVELS}
        with style.house_style():
            self.figure = fig = style.new_figure(figsize=figsize, dpi=dpi)
            self.title = fig.text(0.02, 0.975, "", ha="left", va="top", fontsize=13, weight="bold")
            self.subtitle = fig.text(
                0.02, 0.935, "", ha="left", va="top", fontsize=9.5, color=COLORS["muted"]
            )
            self.layers: dict[tuple[str, str], Layer] = {}
            self.axes: dict[str, Axes] = {}
            oslo = _oslo_box()
            for i, level in enumerate(LEVELS):
                ax = fig.add_axes((0.01 + 0.49 * i, 0.085, 0.48, 0.80))
                self._frame(ax, EXTENT)
                ax.set_title(PANEL_TITLES_NB[level], loc="left", fontsize=10.5, pad=2)
                self.axes[level] = ax
                self.layers[(level, "main")] = self._layer(ax, level, paths)
                inset = ax.inset_axes(INSET_AT, transform=ax.transData)
                self._frame(inset, oslo, border=True)
                inset.set_title(INSET_TITLE_NB, fontsize=7.5, loc="left", pad=1.5)
                self.layers[(level, "inset")] = self._layer(inset, level, paths)
                ax.add_patch(
                    Rectangle(
                        (oslo[0], oslo[1]),
                        oslo[2] - oslo[0],
                        oslo[3] - oslo[1],
                        fill=False,
                        edgecolor=COLORS["text"],
                        linewidth=0.7,
                        zorder=5,
                    )
                )
            self.legend = None
            self.footer = None

    @staticmethod
    def _frame(ax: Axes, extent: Sequence[float], *, border: bool = False) -> None:
        x0, y0, x1, y1 = extent
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal", adjustable="box")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(border)
            spine.set_edgecolor(COLORS["axis"])
            spine.set_linewidth(0.7)
        ax.set_facecolor("white")

    def _layer(self, ax: Axes, level: str, paths: dict[str, tuple[MplPath, ...]]) -> Layer:
        edge, width = REGION_EDGE[level]
        base = PathCollection(
            list(paths[level]), facecolors="none", edgecolors=edge, linewidths=width, zorder=1
        )
        ax.add_collection(base, autolim=False)
        # The overlay keeps the regions' borders (its own edges), the hatch has its own colour.
        edge, width = COUNTY_OUTLINE if level == COUNTY else REGION_EDGE[level]
        hatched = PathCollection(
            [],
            facecolors=STATUS_FACES["suppressed"],
            edgecolors=edge,
            linewidths=width,
            hatch=SUPPRESSED_HATCH,
            hatchcolors=HATCH_COLOR,
            zorder=2,
        )
        ax.add_collection(hatched, autolim=False)
        if level == MUNICIPALITY:  # the county borders over the municipalities
            color, lw = COUNTY_OUTLINE
            outline = PathCollection(
                list(paths[COUNTY]), facecolors="none", edgecolors=color, linewidths=lw, zorder=3
            )
            ax.add_collection(outline, autolim=False)
        else:
            base.set_edgecolor(COUNTY_OUTLINE[0])
            base.set_linewidth(COUNTY_OUTLINE[1])
        return Layer(tuple(r.code for r in self.regions[level]), paths[level], base, hatched)

    # --- Per indicator -------------------------------------------------------------------------

    def faces(self, data: MapData, level: str) -> tuple[list[str], list[int]]:
        """Face colour per region of ``level`` (the class colour only where shown) and the indices
        of the suppressed regions."""
        frame = data.regions[level].set_index("code")
        codes = self.regions[level]
        colors, hatched = [], []
        for i, region in enumerate(codes):
            status = frame.at[region.code, "status"] if region.code in frame.index else "missing"
            if status == SHOWN:
                colors.append(data.classes.color(float(frame.at[region.code, "value"])))
            else:
                colors.append(STATUS_FACES[status])
                if status == "suppressed":
                    hatched.append(i)
        return colors, hatched

    def paint(self, data: MapData, release: str) -> None:
        """Colour every region, hatch the suppressed ones, and write title, legend and footer."""
        with style.house_style():
            for level in LEVELS:
                colors, hatched = self.faces(data, level)
                for where in ("main", "inset"):
                    layer = self.layers[(level, where)]
                    layer.base.set_facecolor(colors)
                    layer.hatched.set_paths([layer.paths[i] for i in hatched])
            self.title.set_text(title_nb(data))
            self.subtitle.set_text(subtitle_nb(data))
            self._legend(data)
            if self.footer is not None:
                self.footer.remove()
            self.footer = style.add_footer(
                self.figure,
                data.source_nb,
                data.origin_codes,
                release,
                credits=[geometry.CREDIT_NB],
            )

    def _legend(self, data: MapData) -> None:
        if self.legend is not None:
            self.legend.remove()
        classes = data.classes
        unit = unit_label_nb(data.unit)
        suffix = "\u00a0%" if data.unit == "percent" else ""
        handles = [
            Patch(facecolor=color, edgecolor=COLORS["axis"], linewidth=0.4, label=label)
            for color, label in zip(classes.colors, classes.labels_nb(suffix), strict=True)
        ]
        statuses = [s for level in LEVELS for s in data.regions[level]["status"]]
        for status, label in status_entries(statuses):
            hatch = SUPPRESSED_HATCH if status == "suppressed" else None
            handles.append(
                Patch(
                    facecolor=STATUS_FACES[status],
                    edgecolor=HATCH_COLOR if hatch else COLORS["axis"],
                    linewidth=0.4,
                    hatch=hatch,
                    label=label,
                )
            )
        ax = self.axes[MUNICIPALITY]
        self.legend = ax.legend(
            handles=handles,
            title=legend_title_nb(unit, classes.darker_is_better, len(classes.colors)),
            loc="upper left",
            bbox_to_anchor=(0.0, 0.97),
            fontsize=8,
            title_fontsize=8,
            alignment="left",
            handlelength=1.6,
            handleheight=1.1,
            frameon=False,
        )

    def png(self) -> bytes:
        """The figure as a PNG with a 64-colour palette.

        A map is flat class colours, white and grey text: an adaptive 64-colour palette without
        dithering looks the same and is about a third of the RGB file's size.
        """
        from PIL import Image

        with style.house_style(), _hatch_width():
            self.figure.canvas.draw()
            pixels = np.asarray(self.figure.canvas.buffer_rgba())[..., :3]
        image = Image.fromarray(np.ascontiguousarray(pixels), "RGB").quantize(
            colors=PALETTE_COLORS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
        # The fast quantiser rounds white to 254: put the paper back to pure white.
        palette = image.getpalette()
        for i in range(0, len(palette), 3):
            if min(palette[i : i + 3]) >= WHITE_FROM:
                palette[i : i + 3] = [255, 255, 255]
        image.putpalette(palette)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", dpi=(self.dpi, self.dpi), compress_level=6)
        return buffer.getvalue()


def _hatch_width():
    import matplotlib as mpl

    return mpl.rc_context({"hatch.linewidth": HATCH_LINEWIDTH})
