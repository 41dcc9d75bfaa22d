"""Charts for the report, drawn by matplotlib from measured values only and embedded as SVG.

One figure per suite and view, a small multiple per metric variant: the systems' values with their
95 % bootstrap CIs (best marked, direction stated), per-item score distributions (box + every item),
and the spread across seeds of ``--seeds`` runs. The same values give the same bytes: a fixed style
(matplotlib's defaults plus the overrides below, never the user's matplotlibrc), no date or creator
in the file, a fixed ``svg.hashsalt`` for the ids, jitter from a fixed sequence rather than a RNG.
Text stays text (``svg.fonttype: none``), which keeps a panel to a few kB. Since the bytes are a
function of the values, the drawing code and matplotlib's version, a chart is drawn once and read
back from the report-media cache afterwards (about 1 s of CPU per chart saved on a warm rerun).
"""
from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from bench.report.media import data_uri, disk_cached

STYLE = {
    "svg.hashsalt": "unison-bench-report", "svg.fonttype": "none", "font.family": "DejaVu Sans", "font.size": 8,
    "axes.titlesize": 8.5, "axes.labelsize": 8, "xtick.labelsize": 7.5, "ytick.labelsize": 7.5,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "axes.grid.axis": "x",
    "grid.color": "#e5e5ea", "grid.linewidth": 0.6, "axes.axisbelow": True, "path.simplify": True,
}
# one colour per system column of a suite (colour-blind-safe, then greys)
COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#555555", "#999999")
BEST = "#15803d"
NCOLS = 3
RASTER_DOTS = 150  # per system and panel; more item dots are drawn as an embedded bitmap
PANEL_W = 3.7  # inches; the page shows the figure at its natural width (3 panels ~ 1070 px at 96 dpi)


_CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()  # an edit here redraws every chart


def drawn_once(draw: Callable[[list[dict[str, Any]], list[str]], bytes]):
    """A chart function whose SVG is cached on disk by its inputs (see the module docstring)."""
    @functools.wraps(draw)
    def cached(panels: list[dict[str, Any]], systems: list[str]) -> bytes:
        import matplotlib

        inputs = json.dumps([draw.__name__, _CODE, matplotlib.__version__, panels, systems], sort_keys=True,
                            default=str).encode()
        return disk_cached("svg", inputs, lambda: draw(panels, systems))
    return cached


def colour(i: int) -> str:
    return COLOURS[i % len(COLOURS)]


def direction(higher: bool) -> str:
    return "higher is better" if higher else "lower is better"


@contextmanager
def _style() -> Iterator[Any]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    with matplotlib.rc_context():
        matplotlib.rcdefaults()  # never the reader's matplotlibrc
        matplotlib.rcParams.update(STYLE)
        yield plt


def _svg(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return minify_svg(buf.getvalue().decode("utf-8")).encode("utf-8")


_NUM = re.compile(r"(?<![#\w])(-?\d+\.\d{3,})")


def minify_svg(svg: str) -> str:
    """matplotlib's SVG less what a browser does not need (about 2.5x smaller): the RDF metadata and
    DOCTYPE, indentation, the ids of groups (nothing refers to them) and digits beyond 1/100 pt."""
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r"<!DOCTYPE[^>]*>", "", svg, flags=re.S)
    svg = re.sub(r'<g id="[^"]*"', "<g", svg)
    svg = _NUM.sub(lambda m: f"{float(m.group(1)):.2f}".rstrip("0").rstrip("."), svg)
    svg = re.sub(r' transform="rotate\(-?0 [^)]*\)"', "", svg)  # text matplotlib "rotates" by 0 degrees
    svg = re.sub(r"\s*\n\s*", " ", svg)
    svg = re.sub(r">\s+<", "><", svg).strip()
    return _style_classes(_unwrap_bare_groups(svg))


def _style_classes(svg: str) -> str:
    """Repeated style attributes (every tick label, grid line, marker) become classes of one <style>."""
    styles = re.findall(r' style="([^"]*)"', svg)
    repeated = sorted({x for x in styles if styles.count(x) > 1}, key=styles.index)
    if not repeated:
        return svg
    names = {x: f"s{k}" for k, x in enumerate(repeated)}
    svg = re.sub(r' style="([^"]*)"', lambda m: f' class="{names[m.group(1)]}"' if m.group(1) in names else m.group(0),
                 svg)
    css = "".join(f".{n}{{{x}}}" for x, n in names.items())
    return svg.replace("</style>", css + "</style>", 1) if "</style>" in svg else svg


def _unwrap_bare_groups(svg: str) -> str:
    """Drop <g> elements without attributes (keeping their content): they group nothing visible."""
    out, stack, pos = [], [], 0
    for m in re.finditer(r"<g>|<g\b[^>]*>|</g>", svg):
        out.append(svg[pos:m.start()])
        tag = m.group(0)
        if tag == "</g>":
            if not stack.pop():
                out.append(tag)
        else:
            bare = tag == "<g>"
            stack.append(bare)
            if not bare:
                out.append(tag)
        pos = m.end()
    out.append(svg[pos:])
    return "".join(out)


def svg_data_uri(svg: bytes) -> str:
    return data_uri("image/svg+xml", svg)


def _grid(plt, n_panels: int, panel_h: float):
    ncols = min(NCOLS, n_panels)
    nrows = math.ceil(n_panels / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(PANEL_W * ncols, panel_h * nrows), squeeze=False)
    flat = [ax for row in axes for ax in row]
    for ax in flat[n_panels:]:
        ax.set_visible(False)
    return fig, flat[:n_panels]


def _title(ax, key: str, higher: bool, extra: str = "") -> None:
    ax.set_title(f"{key}\n{'↑' if higher else '↓'} {direction(higher)}{extra}", loc="left")


def _labels(ax, systems: Sequence[str], bold: set[int]) -> None:
    ax.set_yticks(range(len(systems)))
    ax.set_yticklabels([s if len(s) <= 22 else s[:21] + "…" for s in systems])
    for i, t in enumerate(ax.get_yticklabels()):
        if i in bold:
            t.set_fontweight("bold")
            t.set_color(BEST)
    ax.set_ylim(len(systems) - 0.5, -0.5)  # first system on top, as in the table


@drawn_once
def values_chart(panels: list[dict[str, Any]], systems: list[str]) -> bytes:
    """Per metric: each system's value with its 95 % CI; the best is green, bold and starred.
    ``panels``: [{"key", "higher", "values": [{"value", "lo", "hi"} | None per system]}]."""
    with _style() as plt:
        fig, axes = _grid(plt, len(panels), 0.75 + 0.26 * len(systems))
        for ax, p in zip(axes, panels):
            vals = [(i, v) for i, v in enumerate(p["values"]) if v is not None]
            best_v = (max if p["higher"] else min)(v["value"] for _, v in vals) if len(vals) > 1 else None
            best = {i for i, v in vals if best_v is not None and v["value"] == best_v}
            for i, v in vals:
                lo, hi = v.get("lo"), v.get("hi")
                if lo is not None and hi is not None:
                    ax.errorbar(v["value"], i, xerr=[[v["value"] - lo], [hi - v["value"]]], fmt="none",
                                ecolor=colour(i), elinewidth=1.4, capsize=3)
                ax.plot(v["value"], i, marker="*" if i in best else "o", ms=10 if i in best else 5.5,
                        color=BEST if i in best else colour(i), zorder=3, ls="none")
            for i, _ in enumerate(systems):
                if p["values"][i] is None:
                    ax.text(0.99, i, "n/a", transform=ax.get_yaxis_transform(), ha="right", va="center",
                            color="#999999", fontsize=7)
            _labels(ax, systems, best)
            ax.margins(x=0.12)
            _title(ax, p["key"], p["higher"], "" if any(v.get("lo") is not None for _, v in vals)
                   else " · set-level (no CI)")
        fig.tight_layout(pad=1.0, h_pad=1.0, w_pad=2.0)
        try:
            return _svg(fig)
        finally:
            plt.close(fig)


def _jitter(n: int, width: float = 0.36) -> list[float]:
    """Deterministic offsets in [-width/2, width/2) (golden-ratio sequence: evenly spread, no RNG)."""
    return [((k * 0.6180339887498949) % 1.0 - 0.5) * width for k in range(n)]


@drawn_once
def distribution_chart(panels: list[dict[str, Any]], systems: list[str]) -> bytes:
    """Per per-item metric: every item's score per system (dots) over a box of its quartiles.
    ``panels``: [{"key", "higher", "scores": [[float] per system]}]."""
    with _style() as plt:
        fig, axes = _grid(plt, len(panels), 0.75 + 0.32 * len(systems))
        for ax, p in zip(axes, panels):
            rows = [(i, s) for i, s in enumerate(p["scores"]) if s]
            if rows:
                ax.boxplot([s for _, s in rows], positions=[i for i, _ in rows], orientation="horizontal", widths=0.6,
                           showfliers=False, medianprops={"color": "#111111"},
                           boxprops={"color": "#777777"}, whiskerprops={"color": "#777777"},
                           capprops={"color": "#777777"})
            for i, s in rows:
                # thousands of dots as vectors would weigh megabytes: past RASTER_DOTS they are one image
                ax.scatter(s, [i + d for d in _jitter(len(s))], s=9, color=colour(i), alpha=0.75, lw=0, zorder=3,
                           rasterized=len(s) > RASTER_DOTS)
            for i, _ in enumerate(systems):
                if not p["scores"][i]:
                    ax.text(0.99, i, "no per-item scores", transform=ax.get_yaxis_transform(), ha="right",
                            va="center", color="#999999", fontsize=7)
            _labels(ax, systems, set())
            ax.margins(x=0.08)
            n = max((len(s) for _, s in rows), default=0)
            _title(ax, p["key"], p["higher"], f" · {n} items")
        fig.tight_layout(pad=1.0, h_pad=1.0, w_pad=2.0)
        try:
            return _svg(fig)
        finally:
            plt.close(fig)


@drawn_once
def seeds_chart(panels: list[dict[str, Any]], systems: list[str]) -> bytes:
    """Per metric: each seed's value (labelled by seed) and mean ± std across seeds per system.
    ``panels``: [{"key", "higher", "seeds": [{"per_seed": {seed: value}, "mean", "std"} | None]}]."""
    with _style() as plt:
        fig, axes = _grid(plt, len(panels), 0.75 + 0.3 * len(systems))
        for ax, p in zip(axes, panels):
            for i, s in enumerate(p["seeds"]):
                if s is None or s.get("mean") is None:
                    ax.text(0.99, i, "n/a", transform=ax.get_yaxis_transform(), ha="right", va="center",
                            color="#999999", fontsize=7)
                    continue
                ax.errorbar(s["mean"], i, xerr=s["std"] or 0.0, fmt="|", ms=14, color="#111111", capsize=4,
                            elinewidth=1.2, zorder=2)
                pts = [(seed, v) for seed, v in s["per_seed"].items() if v is not None]
                offs = _jitter(len(pts), 0.3)
                ax.scatter([v for _, v in pts], [i + d for d in offs], s=16, color=colour(i), zorder=3, lw=0)
            _labels(ax, systems, set())
            ax.margins(x=0.12)
            n = max((len(s["per_seed"]) for s in p["seeds"] if s), default=0)
            _title(ax, p["key"], p["higher"], f" · {n} seeds, mean ± std")
        fig.tight_layout(pad=1.0, h_pad=1.0, w_pad=2.0)
        try:
            return _svg(fig)
        finally:
            plt.close(fig)
