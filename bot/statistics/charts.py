"""Server-rendered SVG charts: no JavaScript, no CDN, no chart library.

Three small charts — stacked bars, and lines — are simpler to draw than to configure:
the standard library's ElementTree writes them (so every label is escaped and the SVG
is well-formed), with presentation attributes only (`fill`, `stroke`), never a `style`
attribute or a script, so the pages' Content Security Policy holds.

Accessible by construction: each chart is `role="img"` labelled by its `<title>` and a
`<desc>` that says what it shows; series differ by colour *and* by dash and marker; each
bar or point carries its own `<title>` (a tooltip); and the page puts the same numbers
in a table next to the chart. Hidden numbers ("<5") are gaps, never drawn as zero.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup

WIDTH, PLOT_HEIGHT = 720, 240
LEFT, RIGHT, TOP, AXIS = 56, 16, 12, 44  # margins; AXIS: room for the week labels
LEGEND_ROW, LEGEND_ITEM = 20, 176
FONT = "system-ui, sans-serif"
# Okabe–Ito (and a wine red for a ninth): told apart with the common kinds of colour
# blindness; grey for "the rest".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#882255")
REST = "#9a9a9a"
DASHES = ("", "6 3", "2 3", "8 3 2 3")
MARKERS = ("circle", "square", "diamond", "triangle")


@dataclass(frozen=True)
class Series:
    """One named line or bar part; `values[i]` belongs to week i, None where hidden."""

    name: str
    values: Sequence[float | None]


Format = Callable[[float], str]


def _axis_top(maximum: float, whole: bool) -> float:
    """The top of a value axis with four equal steps of 1, 2, 2.5 or 5 times a power of
    ten, at least `maximum`; `whole` numbers (counts) get whole steps, at least 1."""
    wanted = max(maximum, 0.0) / 4
    if wanted <= 0:
        return 4.0 if whole else 1.0
    power = 10.0 ** math.floor(math.log10(wanted))
    steps = (1, 2, 5, 10) if whole and power < 10 else (1, 2, 2.5, 5, 10)
    step = next(float(s * power) for s in steps if s * power >= wanted)
    return 4 * (max(step, 1.0) if whole else step)


class _Canvas:
    """An SVG with a title, a description, the value axis and the week axis."""

    def __init__(self, chart_id: str, title: str, description: str, labels: Sequence[str], legend: int) -> None:
        self.labels = labels
        rows = math.ceil(legend / max(1, (WIDTH - LEFT) // LEGEND_ITEM)) if legend else 0
        self.height = TOP + PLOT_HEIGHT + AXIS + rows * LEGEND_ROW + 8
        self.svg = ET.Element(
            "svg",
            {
                "xmlns": "http://www.w3.org/2000/svg",
                "viewBox": f"0 0 {WIDTH} {self.height}",
                "width": "100%",
                "role": "img",
                "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
                "font-family": FONT,
                "font-size": "12",
                "class": "chart",
                "id": chart_id,
            },
        )
        ET.SubElement(self.svg, "title", {"id": f"{chart_id}-title"}).text = title
        ET.SubElement(self.svg, "desc", {"id": f"{chart_id}-desc"}).text = description
        self.legend_items = 0

    @property
    def band(self) -> float:
        return (WIDTH - LEFT - RIGHT) / max(1, len(self.labels))

    def x(self, index: int) -> float:
        return LEFT + self.band * (index + 0.5)

    def y(self, value: float, top: float) -> float:
        return TOP + PLOT_HEIGHT * (1 - value / top)

    def axes(self, top: float, tick: Format) -> None:
        grid = ET.SubElement(self.svg, "g", {"aria-hidden": "true"})
        for step in range(5):
            value = top * step / 4
            y = f"{self.y(value, top):.1f}"
            ET.SubElement(
                grid, "line", {"x1": str(LEFT), "x2": str(WIDTH - RIGHT), "y1": y, "y2": y, "stroke": "#d0d0d0"}
            )
            ET.SubElement(grid, "text", {"x": str(LEFT - 6), "y": y, "text-anchor": "end", "dy": "4"}).text = tick(
                value
            )
        every = math.ceil(len(self.labels) / 13)  # at most 13 week labels
        for index, label in enumerate(self.labels):
            if index % every == 0 or index == len(self.labels) - 1:
                attributes = {"x": f"{self.x(index):.1f}", "y": str(TOP + PLOT_HEIGHT + 16), "text-anchor": "middle"}
                ET.SubElement(grid, "text", attributes).text = label

    def legend(self, name: str, colour: str, dash: str = "", marker: str | None = None) -> None:
        per_row = max(1, (WIDTH - LEFT) // LEGEND_ITEM)
        row, column = divmod(self.legend_items, per_row)
        x = LEFT + column * LEGEND_ITEM
        y = TOP + PLOT_HEIGHT + AXIS + row * LEGEND_ROW
        item = ET.SubElement(self.svg, "g", {"class": "legend"})
        if marker is None:
            ET.SubElement(item, "rect", {"x": str(x), "y": str(y - 10), "width": "12", "height": "12", "fill": colour})
        else:
            line = {"x1": str(x - 2), "x2": str(x + 16), "y1": str(y - 4), "y2": str(y - 4), "stroke": colour}
            line.update({"stroke-width": "2", **({"stroke-dasharray": dash} if dash else {})})
            ET.SubElement(item, "line", line)
            _marker(item, marker, x + 7, y - 4, colour)
        ET.SubElement(item, "text", {"x": str(x + 22), "y": str(y)}).text = name
        self.legend_items += 1

    def markup(self) -> Markup:
        return Markup(ET.tostring(self.svg, encoding="unicode"))  # ElementTree escaped every text


def _marker(parent: ET.Element, shape: str, x: float, y: float, colour: str) -> ET.Element:
    if shape == "circle":
        return ET.SubElement(parent, "circle", {"cx": f"{x:.1f}", "cy": f"{y:.1f}", "r": "3.5", "fill": colour})
    if shape == "square":
        return ET.SubElement(
            parent, "rect", {"x": f"{x - 3.5:.1f}", "y": f"{y - 3.5:.1f}", "width": "7", "height": "7", "fill": colour}
        )
    corners = (
        [(x, y - 5), (x + 5, y), (x, y + 5), (x - 5, y)]
        if shape == "diamond"
        else [(x, y - 5), (x + 5, y + 4), (x - 5, y + 4)]
    )
    points = " ".join(f"{px:.1f},{py:.1f}" for px, py in corners)
    return ET.SubElement(parent, "polygon", {"points": points, "fill": colour})


def stacked_bars(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    totals: Sequence[float | None],
    parts: Sequence[Series],
    rest: str,
    tick: Format,
    hidden: str,
) -> Markup:
    """A bar per week of height `totals[i]`, split into `parts`; what the shown parts do
    not cover (parts hidden by the privacy rule) is one grey segment named `rest`. A
    week whose total is hidden gets no bar but the word `hidden` ("<5")."""
    drawn = [part for part in parts if any(value for value in part.values)]
    canvas = _Canvas(chart_id, title, description, labels, len(drawn) + 1)
    top = _axis_top(max((total or 0 for total in totals), default=0), whole=True)
    canvas.axes(top, tick)
    width = canvas.band * 0.7
    bars = ET.SubElement(canvas.svg, "g", {"class": "bars"})
    for index, total in enumerate(totals):
        x = f"{canvas.x(index) - width / 2:.1f}"
        if total is None:
            attributes = {"x": f"{canvas.x(index):.1f}", "y": str(TOP + PLOT_HEIGHT - 4), "text-anchor": "middle"}
            ET.SubElement(bars, "text", {**attributes, "font-size": "10"}).text = hidden
            continue
        base = 0.0
        segments = [(part.name, part.values[index] or 0.0, PALETTE[i % len(PALETTE)]) for i, part in enumerate(drawn)]
        segments.append((rest, max(0.0, total - sum(value for _, value, _ in segments)), REST))
        for name, value, colour in segments:
            if value <= 0:
                continue
            y_top, y_base = canvas.y(base + value, top), canvas.y(base, top)
            attributes = {"x": x, "y": f"{y_top:.1f}", "width": f"{width:.1f}", "height": f"{y_base - y_top:.1f}"}
            segment = ET.SubElement(bars, "rect", {**attributes, "fill": colour})
            ET.SubElement(segment, "title").text = f"{labels[index]} · {name}: {tick(value)}"
            base += value
    for i, part in enumerate(drawn):
        canvas.legend(part.name, PALETTE[i % len(PALETTE)])
    canvas.legend(rest, REST)
    return canvas.markup()


def lines(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    tick: Format,
    whole: bool = False,
) -> Markup:
    """A line per series over the weeks, broken where a value is hidden; each point is
    marked (a lone week between hidden ones still shows)."""
    canvas = _Canvas(chart_id, title, description, labels, len(series))
    top = _axis_top(max((v for s in series for v in s.values if v is not None), default=0), whole)
    canvas.axes(top, tick)
    for i, line in enumerate(series):
        colour, dash, marker = PALETTE[i % len(PALETTE)], DASHES[i % len(DASHES)], MARKERS[i % len(MARKERS)]
        group = ET.SubElement(canvas.svg, "g", {"class": "series"})
        runs: list[list[tuple[float, float]]] = [[]]
        for index, value in enumerate(line.values):
            if value is None:
                runs.append([])
                continue
            point = (canvas.x(index), canvas.y(value, top))
            runs[-1].append(point)
            ET.SubElement(
                _marker(group, marker, *point, colour), "title"
            ).text = f"{labels[index]} · {line.name}: {tick(value)}"
        for run in runs:
            if len(run) > 1:
                path = {"points": " ".join(f"{x:.1f},{y:.1f}" for x, y in run), "fill": "none", "stroke": colour}
                path.update({"stroke-width": "2", **({"stroke-dasharray": dash} if dash else {})})
                group.insert(0, ET.Element("polyline", path))
        canvas.legend(line.name, colour, dash, marker)
    return canvas.markup()
