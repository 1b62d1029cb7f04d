"""The tray's icons: right size, right colour, a distinct shape per state, and visible on any panel."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.controller import Controller
from app.settings import Settings, SettingsFile
from app.supervisor.state import State
from app.ui.icons import SIZES, STATE_COLOURS, contrast_ratio, key_icon, render_sheet, state_icon
from app.ui.shell import Shell
from tests.ui.conftest import MakeController

DARK_PANEL = QColor("#202020")
LIGHT_PANEL = QColor("#f0f0f0")
# WCAG 2.1 (1.4.11): icons and other graphical objects need 3:1 against what surrounds them.
NON_TEXT_CONTRAST = 3.0


@pytest.fixture(autouse=True)
def _qt(qapp: QApplication) -> None:
    """Pixmaps need a QGuiApplication; pytest-qt's `qapp` provides one for the session."""


# --- helpers -------------------------------------------------------------------------------------


def _image(icon: QIcon, size: int) -> QImage:
    """The pixmap a tray of `size` px would show, unpremultiplied so pixel colours are the drawn ones."""
    return icon.pixmap(size, size).toImage().convertToFormat(QImage.Format.Format_ARGB32)


def _pixels(image: QImage) -> Iterator[tuple[int, int, QColor]]:
    for y in range(image.height()):
        for x in range(image.width()):
            yield x, y, image.pixelColor(x, y)


def _badge_fill(image: QImage) -> QColor:
    """The badge's dominant colour: the most common fully opaque pixel (the flat fill)."""
    counts = Counter(c.rgb() for _, _, c in _pixels(image) if c.alpha() == 255)
    return QColor.fromRgb(counts.most_common(1)[0][0])


def _emblem_ink(image: QImage) -> dict[tuple[int, int], float]:
    """How much emblem each pixel inside the badge carries, 0 (pure fill) to 1 (pure emblem), whatever the
    colours: the distance from the fill, scaled by the emblem's strongest pixel. Antialiased edge pixels
    count partly, as the eye weighs them."""
    fill = _badge_fill(image)
    centre, inner = image.width() / 2, image.width() * 0.36
    distance: dict[tuple[int, int], float] = {
        (x, y): max(abs(c.red() - fill.red()), abs(c.green() - fill.green()), abs(c.blue() - fill.blue()))
        for x, y, c in _pixels(image)
        if math.hypot(x + 0.5 - centre, y + 0.5 - centre) < inner
    }
    peak = max(distance.values())
    return {pixel: d / max(peak, 1.0) for pixel, d in distance.items()}


def _over(pixel: QColor, background: QColor) -> QColor:
    """`pixel` composited onto an opaque `background`, as the panel shows it."""
    a = pixel.alphaF()
    return QColor.fromRgbF(
        pixel.redF() * a + background.redF() * (1 - a),
        pixel.greenF() * a + background.greenF() * (1 - a),
        pixel.blueF() * a + background.blueF() * (1 - a),
    )


def _weakest_edge_contrast(image: QImage, background: QColor, sectors: int = 12) -> float:
    """The badge's silhouette is visible all round: in each direction from the centre, the best
    contrast any pixel in the outer band (rim and fill) has against the panel; the worst direction wins."""
    centre = image.width() / 2
    best = [1.0] * sectors
    for x, y, c in _pixels(image):
        dx, dy = x + 0.5 - centre, y + 0.5 - centre
        if 0.55 * centre <= math.hypot(dx, dy) <= centre:
            sector = int((math.atan2(dy, dx) + math.pi) / (2 * math.pi) * sectors) % sectors
            best[sector] = max(best[sector], contrast_ratio(_over(c, background), background))
    return min(best)


# --- every state, every size ---------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("state", list(State))
def test_each_size_is_drawn_for_that_size(state: State, size: int) -> None:
    icon = state_icon(state)
    pixmap = icon.pixmap(size, size)
    assert not pixmap.isNull()
    assert pixmap.size() == QSize(size, size)
    # A pixmap of its own, not a neighbour scaled: the tray never shows a blurred 16 px icon.
    assert QSize(size, size) in icon.availableSizes()


@pytest.mark.parametrize("size", [16, 24, 64])
@pytest.mark.parametrize("state", list(State))
def test_badge_shows_the_state_colour(state: State, size: int) -> None:
    fill, expected = _badge_fill(_image(state_icon(state), size)), STATE_COLOURS[state]
    if expected.hslSaturationF() < 0.15:  # the greys: no hue to speak of, so compare lightness
        assert fill.hslSaturationF() < 0.15
        assert abs(fill.lightnessF() - expected.lightnessF()) < 0.05
    else:
        hue_gap = abs(fill.hslHue() - expected.hslHue())
        assert min(hue_gap, 360 - hue_gap) <= 6, f"{state}: {fill.name()} is not {expected.name()}"


# Colour-vision deficiencies at full severity, as linear-RGB matrices (Machado, Oliveira & Fernandes 2009).
_CVD = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.01182, 0.04294, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, 0.691367, 0.3039)),
}


def _lab(colour: QColor, deficiency: str | None) -> tuple[float, float, float]:
    """CIELAB (D65) of `colour` as seen with `deficiency` (None: typical vision)."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    rgb = [linear(colour.redF()), linear(colour.greenF()), linear(colour.blueF())]
    if deficiency:
        rgb = [min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb, strict=True)))) for row in _CVD[deficiency]]
    r, g, b = rgb
    xyz = (
        (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047,
        0.2126 * r + 0.7152 * g + 0.0722 * b,
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883,
    )
    fx, fy, fz = (t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in xyz)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


@pytest.mark.parametrize("deficiency", [None, *_CVD], ids=str)
def test_state_colours_stay_apart_for_colour_blind_users(deficiency: str | None) -> None:
    # ΔE 20 is far beyond "just noticeable" (about 2.3): two badges side by side read as different colours.
    for a, b in itertools.combinations(State, 2):
        distance = math.dist(_lab(STATE_COLOURS[a], deficiency), _lab(STATE_COLOURS[b], deficiency))
        assert distance >= 20, f"{a} and {b} look alike with {deficiency or 'typical vision'} (ΔE {distance:.0f})"


@pytest.mark.parametrize("size", [16, 32])
@pytest.mark.parametrize(("a", "b"), list(itertools.combinations(State, 2)))
def test_states_differ_in_shape_not_only_colour(a: State, b: State, size: int) -> None:
    ink_a, ink_b = _emblem_ink(_image(state_icon(a), size)), _emblem_ink(_image(state_icon(b), size))
    assert sum(ink_a.values()) >= 8 and sum(ink_b.values()) >= 8, "every state carries a visible emblem"
    # Shared ink over total ink: 1 for the same shape. Square vs. cross is the closest pair (about 0.56).
    overlap = sum(min(ink_a[p], ink_b[p]) for p in ink_a) / sum(max(ink_a[p], ink_b[p]) for p in ink_a)
    assert overlap < 2 / 3, f"{a} and {b} emblems look alike at {size} px (overlap {overlap:.0%})"


@pytest.mark.parametrize("size", [16, 32])
@pytest.mark.parametrize("state", list(State))
def test_emblem_stands_out_from_its_badge(state: State, size: int) -> None:
    image = _image(state_icon(state), size)
    fill = _badge_fill(image)
    # The emblem's solid core: its most common colour.
    solid = [pixel for pixel, ink in _emblem_ink(image).items() if ink > 0.5]
    core = Counter(image.pixelColor(x, y).rgb() for x, y in solid).most_common(1)[0][0]
    assert contrast_ratio(QColor.fromRgb(core), fill) >= NON_TEXT_CONTRAST


@pytest.mark.parametrize("size", [16, 22, 32, 64])
@pytest.mark.parametrize("panel", [DARK_PANEL, LIGHT_PANEL], ids=["dark-panel", "light-panel"])
@pytest.mark.parametrize("state", list(State))
def test_badge_is_visible_on_dark_and_light_panels(state: State, panel: QColor, size: int) -> None:
    contrast = _weakest_edge_contrast(_image(state_icon(state), size), panel)
    assert contrast >= NON_TEXT_CONTRAST, f"{state} fades into {panel.name()} at {size} px ({contrast:.2f}:1)"


def test_stop_square_has_sharp_edges_at_16_px() -> None:
    """The square is snapped to whole pixels: no half-covered pixels blur its outline."""
    image = _image(state_icon(State.STOPPED), 16)
    fill, square = _badge_fill(image), QColor("#ffffff")
    box = [image.pixelColor(x, y) for x in range(4, 12) for y in range(4, 12)]
    assert all(c.rgb() in (fill.rgb(), square.rgb()) for c in box)
    assert sum(c.rgb() == square.rgb() for c in box) >= 25


def test_icons_are_cached() -> None:
    assert state_icon(State.RUNNING) is state_icon(State.RUNNING)
    assert key_icon(True) is key_icon(True)


# --- providers menu ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_key_icons_have_every_size(size: int) -> None:
    for stored in (True, False):
        pixmap = key_icon(stored).pixmap(size, size)
        assert pixmap.size() == QSize(size, size)
        assert not pixmap.isNull()


@pytest.mark.parametrize("size", [16, 32])
def test_stored_and_missing_key_look_different(size: int) -> None:
    stored, missing = _image(key_icon(True), size), _image(key_icon(False), size)

    def covered(image: QImage) -> int:
        return sum(c.alpha() > 128 for _, _, c in _pixels(image))

    # Filled badge vs. hollow ring: the stored one covers far more of the icon…
    assert covered(stored) > 1.5 * covered(missing)
    # …and its centre is painted, where the missing one is see-through.
    centre = size // 2
    assert stored.pixelColor(centre, centre).alpha() == 255
    assert missing.pixelColor(centre, centre).alpha() == 0


@pytest.mark.parametrize("size", [16, 32])
@pytest.mark.parametrize("panel", [DARK_PANEL, LIGHT_PANEL], ids=["dark-panel", "light-panel"])
@pytest.mark.parametrize("stored", [True, False], ids=["stored", "missing"])
def test_key_icons_are_visible_on_dark_and_light_menus(stored: bool, panel: QColor, size: int) -> None:
    assert _weakest_edge_contrast(_image(key_icon(stored), size), panel) >= NON_TEXT_CONTRAST


# --- review sheet --------------------------------------------------------------------------------


@pytest.mark.parametrize("background", ["#202020", "#f0f0f0"])
def test_render_sheet_writes_every_icon_on_the_background(tmp_path: Path, background: str) -> None:
    path = tmp_path / "icons.png"
    render_sheet(path, background=background)
    sheet = QImage(str(path))
    assert not sheet.isNull()
    assert sheet.pixelColor(0, 0).name() == background
    # One row per state plus the key row, each as tall as the largest icon (with gaps).
    assert sheet.height() >= (len(State) + 1) * max(SIZES)
    assert sheet.width() >= 2 * sum(SIZES)  # the key row holds both key icons at every size
    # Every state's colour is on it.
    colours = {sheet.pixelColor(x, y).rgb() for x in range(0, sheet.width(), 2) for y in range(0, sheet.height(), 2)}
    assert all(STATE_COLOURS[state].rgb() in colours for state in State)


# --- the style chosen in Settings reaches the tray -------------------------------------------------------------


def _grey_only(icon: QIcon) -> bool:
    image = icon.pixmap(22, 22).toImage().convertToFormat(QImage.Format.Format_ARGB32)
    return all(c.hslHue() == -1 for _, _, c in _pixels(image) if c.alpha() > 0)


async def test_choosing_mono_in_settings_redraws_the_tray_without_restarting_llmlink(
    modern_binary: Path, make_controller: MakeController, qapp: QApplication, qtbot: QtBot
) -> None:
    controller: Controller = await make_controller(modern_binary)
    assert controller.status.state is State.RUNNING and controller.settings.icon_style == "color"
    pid = controller.status.pid
    qapp.setQuitOnLastWindowClosed(False)  # as the tray app does
    shell = Shell(controller)
    try:
        assert not _grey_only(shell.tray.icon.icon())  # the green badge
        shell.show_settings()
        dialog = shell.settings_dialog
        assert dialog is not None
        combo = dialog.icon_style
        assert combo.currentData() == "color"
        combo.setFocus()
        with qtbot.waitSignal(dialog.icon_style_changed, timeout=5000):
            qtbot.keyClick(combo, Qt.Key.Key_Down)  # the user picks the next entry: Monochrome

        assert _grey_only(shell.tray.icon.icon())
        assert SettingsFile(controller.paths.config_dir).load().icon_style == "mono"  # kept for the next start
        assert controller.status.state is State.RUNNING and controller.status.pid == pid  # llm-link untouched

        with qtbot.waitSignal(dialog.icon_style_changed, timeout=5000):
            qtbot.keyClick(combo, Qt.Key.Key_Up)
        assert not _grey_only(shell.tray.icon.icon())
        dialog.close()
    finally:
        await shell.close()
        shell.tray.dispose()
        qapp.setQuitOnLastWindowClosed(True)


def test_settings_without_an_icon_style_load_as_colour_and_an_unknown_one_is_refused(tmp_path: Path) -> None:
    settings = SettingsFile(tmp_path)
    settings.path.write_text('{"version": 1, "notifications": false}')  # written before the field existed
    loaded = settings.load()
    assert loaded.icon_style == "color" and loaded.notifications is False
    settings.path.write_text('{"version": 1, "icon_style": "sparkly"}')
    assert settings.load().icon_style == "color"  # a damaged file is moved aside, defaults are used
    assert list(tmp_path.glob("settings.json.corrupt-*"))
    settings.save(Settings(icon_style="mono"))
    assert settings.load().icon_style == "mono"
