"""The tray's icons: one round badge per supervisor state, plus the providers menu's key marks.

Every badge carries a shape emblem as well as a colour, because colour alone is missed by people with a
colour-vision deficiency and on washed-out panels. Everything is drawn with QPainter paths, with no image
files and no fonts, so the icons look the same on every desktop. Each icon is rendered separately at
every size a tray or menu asks for (instead of one large pixmap scaled down), with line widths snapped to
whole pixels, so the 16 px version stays sharp.

The "mono" style is for panels of symbolic icons: one colour (the theme's text colour, as desktops recolour
symbolic icons), no state hues. The emblems carry the state alone there: a solid disc with the emblem cut
out while llm-link is up or in trouble, a hollow ring around it when it is stopped or unknown.

Qt needs a QGuiApplication before anything here is called.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QGuiApplication,
    QIcon,
    QImage,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
)

from app.supervisor.state import State

# The sizes trays and menus ask for (16-24 on Linux/Windows panels and menus, 32-64 for HiDPI), plus
# 128/256 for "About" dialogs and desktop entries.
SIZES: Final[tuple[int, ...]] = (16, 20, 22, 24, 32, 48, 64, 128, 256)

# Picked by simulating protanopia, deuteranopia and tritanopia (Machado et al. 2009) and maximising the
# smallest CIELAB distance between any two states, with a 3:1 contrast floor against a #202020 panel.
# Hue alone cannot keep red, orange and green apart for everyone, so the states also differ in lightness
# (yellow lightest, red darkest of the colours) and, above all, in their emblem.
STATE_COLOURS: Final[Mapping[State, QColor]] = MappingProxyType(
    {
        State.RUNNING: QColor("#29A366"),  # green
        State.STARTING: QColor("#F9C806"),  # yellow
        State.DEGRADED: QColor("#E56E06"),  # orange
        State.ERROR: QColor("#DF2036"),  # red
        State.STOPPED: QColor("#6E7377"),  # grey
        State.UNKNOWN: QColor("#D0D3D8"),  # light grey
    }
)

# The providers menu: blue is no state's colour, so a stored key never reads as "running" or "error".
# The "no key" grey is just dark enough for 3:1 against a #f0f0f0 menu and still 4:1 against #202020.
KEY_STORED_COLOUR: Final = QColor("#2B78E4")
KEY_MISSING_COLOUR: Final = QColor("#7F848B")

_WHITE: Final = QColor("#FFFFFF")


# --- colour arithmetic -------------------------------------------------------------------------------


def relative_luminance(colour: QColor) -> float:
    """WCAG 2 relative luminance (0 = black, 1 = white): what contrast ratios are computed from."""

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(colour.redF()) + 0.7152 * linear(colour.greenF()) + 0.0722 * linear(colour.blueF())


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio, 1 to 21; 3 is the floor WCAG sets for icons and other non-text shapes."""
    lighter, darker = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _shade(colour: QColor, lightness: float) -> QColor:
    """The same hue and saturation at another HSL lightness: a tinted dark reads calmer than black."""
    hue = max(colour.hslHueF(), 0.0)  # greys have no hue (-1)
    return QColor.fromHslF(hue, colour.hslSaturationF(), lightness)


def emblem_colour(fill: QColor) -> QColor:
    """White on saturated and dark badges; a dark shade of the badge where white would wash out (yellow)."""
    return _WHITE if contrast_ratio(_WHITE, fill) >= 3.0 else _shade(fill, 0.13)


def outline_colour(fill: QColor) -> QColor:
    """A darker ring of the badge's own hue: it separates light badges from light panels, while the fill
    itself stands out on dark panels."""
    return _shade(fill, fill.lightnessF() * 0.55)


# --- geometry ----------------------------------------------------------------------------------------


def _px(value: float) -> int:
    """Round half up (Python's round() goes to even, which would make 20 px lines thinner than 22 px)."""
    return math.floor(value + 0.5)


@dataclass(frozen=True)
class _Grid:
    """A square canvas of `size` px whose badge spans -1..1 in "units" around the centre."""

    size: int

    @property
    def centre(self) -> float:
        return self.size / 2

    @property
    def radius(self) -> float:
        # Half a pixel of air at 16 px keeps the antialiased rim from being cut off by the canvas edge.
        return self.size / 2 - self.size / 32

    @property
    def ring(self) -> int:
        """Outline width: one device pixel up to 32 px, then growing with the badge."""
        return max(1, _px(self.size / 24))

    @property
    def stroke(self) -> int:
        """Emblem line width, whole pixels: 2 px at 16, so a check mark survives the panel's scaling."""
        return max(2, _px(self.size / 8))

    def coord(self, unit: float) -> float:
        return self.centre + unit * self.radius

    def point(self, x: float, y: float) -> QPointF:
        return QPointF(self.coord(x), self.coord(y))

    def snapped(self, unit: float, width: float) -> float:
        """A line's centre coordinate such that a `width` px line covers whole pixels (no grey fringe):
        on a pixel edge for even widths, on a pixel centre for odd ones."""
        offset = 0.0 if _px(width) % 2 == 0 else 0.5
        return math.floor(self.coord(unit) - offset + 0.5) + offset


# --- painting ----------------------------------------------------------------------------------------


def _pen(colour: QColor, width: float, cap: Qt.PenCapStyle = Qt.PenCapStyle.RoundCap) -> QPen:
    pen = QPen(colour, width)
    pen.setCapStyle(cap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def _disc(painter: QPainter, grid: _Grid, radius: float, colour: QColor) -> None:
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(colour))
    painter.drawEllipse(QPointF(grid.centre, grid.centre), radius, radius)


def _badge(painter: QPainter, grid: _Grid, fill: QColor) -> None:
    """Outline as a full disc with the fill on top: no half-pixel stroke, so the ring is even all round."""
    _disc(painter, grid, grid.radius, outline_colour(fill))
    _disc(painter, grid, grid.radius - grid.ring, fill)


def _dot(painter: QPainter, grid: _Grid, x: float, y: float, colour: QColor, diameter: float) -> None:
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(colour))
    centre = QPointF(grid.snapped(x, diameter), grid.coord(y))
    painter.drawEllipse(centre, diameter / 2, diameter / 2)


# Emblems, in badge units (the fill's inner edge is at about ±0.87). Each takes the painter, the grid and
# the emblem colour.
Emblem = Callable[[QPainter, _Grid, QColor], None]


def _check(painter: QPainter, grid: _Grid, colour: QColor) -> None:
    path = QPainterPath(grid.point(-0.44, 0.02))
    path.lineTo(grid.point(-0.14, 0.32))
    path.lineTo(grid.point(0.46, -0.30))
    painter.strokePath(path, _pen(colour, grid.stroke))


def _cross(painter: QPainter, grid: _Grid, colour: QColor) -> None:
    pen = _pen(colour, grid.stroke)
    painter.setPen(pen)
    reach = 0.40
    painter.drawLine(grid.point(-reach, -reach), grid.point(reach, reach))
    painter.drawLine(grid.point(-reach, reach), grid.point(reach, -reach))


def _stop(painter: QPainter, grid: _Grid, colour: QColor) -> None:
    # Whole-pixel edges: a square is the one emblem that looks blurry when it falls between pixels.
    side = _px(grid.radius * 0.8)
    left = math.floor(grid.centre - side / 2 + 0.5)
    painter.fillRect(QRectF(left, left, side, side), colour)


# Where the dot of "!" and "?" sits: low enough that a full pixel of badge shows between dot and stroke
# at 16 px, where a smaller gap blurs them into one bar.
_DOT_Y: Final = 0.48


def _exclamation(painter: QPainter, grid: _Grid, colour: QColor) -> None:
    x = grid.snapped(0.0, grid.stroke)
    painter.setPen(_pen(colour, grid.stroke))
    painter.drawLine(QPointF(x, grid.coord(-0.50)), QPointF(x, grid.coord(0.02)))
    _dot(painter, grid, 0.0, _DOT_Y, colour, grid.stroke * 1.2)


def _question(painter: QPainter, grid: _Grid, colour: QColor) -> None:
    # A hook (three quarters of a circle) that bends into a short stem, then the dot.
    hook = 0.27
    top = QRectF(grid.point(-hook, -0.52), grid.point(hook, -0.52 + 2 * hook))
    path = QPainterPath(grid.point(-hook, -0.52 + hook))
    path.arcTo(top, 180, -235)
    stem = grid.snapped(0.0, grid.stroke)
    path.quadTo(QPointF(stem, grid.coord(-0.06)), QPointF(stem, grid.coord(0.04)))
    painter.strokePath(path, _pen(colour, grid.stroke))
    _dot(painter, grid, 0.0, _DOT_Y, colour, grid.stroke * 1.2)


def _hourglass(painter: QPainter, grid: _Grid, colour: QColor) -> None:
    # Two filled triangles meeting at the waist, capped by the glass's top and bottom rails.
    width, height, waist = 0.34, 0.50, 0.07
    path = QPainterPath(grid.point(-width, -height))
    for x, y in ((width, -height), (waist, 0.0), (width, height), (-width, height), (-waist, 0.0)):
        path.lineTo(grid.point(x, y))
    path.closeSubpath()
    painter.setPen(_pen(colour, max(1.0, grid.stroke / 2), Qt.PenCapStyle.SquareCap))
    painter.setBrush(QBrush(colour))
    painter.drawPath(path)


_EMBLEMS: Final[Mapping[State, Emblem]] = MappingProxyType(
    {
        State.RUNNING: _check,
        State.STARTING: _hourglass,
        State.DEGRADED: _exclamation,
        State.ERROR: _cross,
        State.STOPPED: _stop,
        State.UNKNOWN: _question,
    }
)


def _key_emblem(painter: QPainter, grid: _Grid, colour: QColor) -> None:
    """A key lying on its side: ring head on the left, shaft with one bit to the right."""
    width = max(1.5, grid.stroke * 0.8)
    painter.setPen(_pen(colour, width))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    head = 0.22 * grid.radius
    painter.drawEllipse(QPointF(grid.coord(-0.30), grid.centre), head, head)
    y = grid.snapped(0.0, width)
    painter.drawLine(QPointF(grid.coord(-0.08), y), QPointF(grid.coord(0.52), y))
    painter.drawLine(QPointF(grid.coord(0.40), y), QPointF(grid.coord(0.40), grid.coord(0.26)))


def _hollow_ring(painter: QPainter, grid: _Grid, colour: QColor) -> None:
    """No key: an empty ring, as thick as an emblem line so it reads at 16 px on any panel."""
    width = grid.stroke
    painter.setPen(_pen(colour, width))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    radius = grid.radius - width / 2
    painter.drawEllipse(QPointF(grid.centre, grid.centre), radius, radius)


# --- rendering ---------------------------------------------------------------------------------------


def _canvas(size: int, draw: Callable[[QPainter, _Grid], None]) -> QPixmap:
    # Drawn into a QImage, which works without a window system connection (offscreen CI), then converted.
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        draw(painter, _Grid(size))
    finally:
        painter.end()
    return QPixmap.fromImage(image)


def _icon(draw: Callable[[QPainter, _Grid], None]) -> QIcon:
    icon = QIcon()
    for size in SIZES:
        icon.addPixmap(_canvas(size, draw))
    return icon


def _draw_state(state: State) -> Callable[[QPainter, _Grid], None]:
    fill = STATE_COLOURS[state]

    def draw(painter: QPainter, grid: _Grid) -> None:
        _badge(painter, grid, fill)
        _EMBLEMS[state](painter, grid, emblem_colour(fill))

    return draw


def _draw_key(stored: bool) -> Callable[[QPainter, _Grid], None]:
    def draw(painter: QPainter, grid: _Grid) -> None:
        if stored:
            _badge(painter, grid, KEY_STORED_COLOUR)
            _key_emblem(painter, grid, emblem_colour(KEY_STORED_COLOUR))
        else:
            _hollow_ring(painter, grid, KEY_MISSING_COLOUR)

    return draw


def _draw_mono(state: State, ink: QColor) -> Callable[[QPainter, _Grid], None]:
    def draw(painter: QPainter, grid: _Grid) -> None:
        if state in (State.STOPPED, State.UNKNOWN):
            # Idle: a ring, the emblem inside it in the same ink.
            _hollow_ring(painter, grid, ink)
            _EMBLEMS[state](painter, grid, ink)
            return
        _disc(painter, grid, grid.radius, ink)
        # Clear mode punches the emblem through: whatever the panel's colour is shows in its shape.
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
        _EMBLEMS[state](painter, grid, ink)

    return draw


def mono_ink() -> QColor:
    """The mono icons' one colour: the theme's text colour, which a panel of symbolic icons matches."""
    ink = QGuiApplication.palette().color(QPalette.ColorRole.WindowText)
    grey = round(0.299 * ink.red() + 0.587 * ink.green() + 0.114 * ink.blue())
    return QColor(grey, grey, grey)  # a tinted theme text colour would bring back a hue


def state_icon(state: State, style: str = "color") -> QIcon:
    """The tray icon for `state`, with a hand-rendered pixmap for every size in SIZES; `style` "mono" is the
    one-colour variant (see the module's docstring)."""
    if style == "mono":
        return _mono_icon(state, mono_ink().rgba())
    return _colour_icon(state)


# Cached: icons are immutable, and the tray swaps them on every state change.
@functools.cache
def _colour_icon(state: State) -> QIcon:
    return _icon(_draw_state(state))


@functools.cache
def _mono_icon(state: State, ink: int) -> QIcon:
    return _icon(_draw_mono(state, QColor.fromRgba(ink)))


@functools.cache
def key_icon(stored: bool) -> QIcon:
    """The providers menu's mark: a blue badge with a key when an API key is stored, a hollow grey ring
    when none is."""
    return _icon(_draw_key(stored))


def render_sheet(path: Path, *, background: str, sizes: tuple[int, ...] = SIZES, style: str = "color") -> None:
    """Every state icon in `style` (one row each, in State order) and then both key icons (last row: stored,
    then missing), at every size, on `background`: for reviewing the artwork and as a CI artifact."""
    gap = 8
    rows: list[list[QPixmap]] = [[state_icon(state, style).pixmap(size, size) for size in sizes] for state in State]
    rows.append([key_icon(stored).pixmap(size, size) for stored in (True, False) for size in sizes])
    width = gap + max(sum(p.width() + gap for p in row) for row in rows)
    height = gap + sum(max(p.height() for p in row) + gap for row in rows)
    sheet = QImage(width, height, QImage.Format.Format_ARGB32)
    sheet.fill(QColor(background))
    painter = QPainter(sheet)
    try:
        y = gap
        for row in rows:
            x = gap
            for pixmap in row:
                painter.drawPixmap(x, y, pixmap)
                x += pixmap.width() + gap
            y += max(p.height() for p in row) + gap
    finally:
        painter.end()
    if not sheet.save(str(path)):  # the format follows the suffix
        raise OSError(f"could not write the icon sheet to {path}")
