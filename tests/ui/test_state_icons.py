"""State icons: the state's colour and a shape of its own at every tray size, legible on dark and light."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from app.supervisor.state import State
from app.ui.icons import STATE_COLOURS, contrast_ratio, key_icon, state_icon

TRAY_SIZES = (16, 22, 24, 32, 48, 64)


def _image(state: State, size: int) -> QImage:
    return state_icon(state).pixmap(size, size).toImage().convertToFormat(QImage.Format.Format_ARGB32)


def _dominant(image: QImage) -> QColor:
    """The most common opaque colour: the badge's fill."""
    counts: Counter[int] = Counter(
        image.pixel(x, y)
        for y in range(image.height())
        for x in range(image.width())
        if image.pixelColor(x, y).alpha() == 255
    )
    return QColor.fromRgba(counts.most_common(1)[0][0])


def _shape(image: QImage) -> list[bool]:
    """Which pixels differ from the badge colour: the emblem's footprint, independent of hue."""
    colour = _dominant(image)
    mask = []
    for y in range(image.height()):
        for x in range(image.width()):
            pixel = image.pixelColor(x, y)
            far = (
                abs(pixel.red() - colour.red())
                + abs(pixel.green() - colour.green())
                + abs(pixel.blue() - colour.blue())
            )
            mask.append(pixel.alpha() > 128 and far > 90)
    return mask


@pytest.mark.parametrize("size", TRAY_SIZES)
@pytest.mark.parametrize("state", list(State))
def test_each_state_has_its_colour_at_every_size(qapp: QApplication, state: State, size: int) -> None:
    image = _image(state, size)
    assert (image.width(), image.height()) == (size, size)
    badge = _dominant(image)
    want = STATE_COLOURS[state]
    assert abs(badge.red() - want.red()) + abs(badge.green() - want.green()) + abs(badge.blue() - want.blue()) < 60


@pytest.mark.parametrize("size", [16, 32])
def test_every_pair_of_states_differs_in_shape_not_only_colour(qapp: QApplication, size: int) -> None:
    shapes = {state: _shape(_image(state, size)) for state in State}
    for a, b in itertools.combinations(State, 2):
        differing = sum(x != y for x, y in zip(shapes[a], shapes[b], strict=True))
        assert differing >= size, f"{a} and {b} look alike at {size} px"


@pytest.mark.parametrize("state", list(State))
def test_the_badge_stands_out_on_dark_and_light_panels(qapp: QApplication, state: State) -> None:
    image = _image(state, 32)
    edge = image.pixelColor(16, 1)  # the outline ring at the top
    best = max(contrast_ratio(edge, QColor("#202020")), contrast_ratio(STATE_COLOURS[state], QColor("#202020")))
    best_light = max(contrast_ratio(edge, QColor("#f0f0f0")), contrast_ratio(STATE_COLOURS[state], QColor("#f0f0f0")))
    assert best >= 1.5 and best_light >= 1.5


def test_stored_and_missing_keys_look_different(qapp: QApplication) -> None:
    stored = key_icon(True).pixmap(16, 16).toImage()
    missing = key_icon(False).pixmap(16, 16).toImage()
    assert stored != missing


# --- the monochrome style ------------------------------------------------------------------------------------


def _mono(state: State, size: int) -> QImage:
    return state_icon(state, "mono").pixmap(size, size).toImage().convertToFormat(QImage.Format.Format_ARGB32)


def _ink_mask(image: QImage) -> list[bool]:
    """Where the icon is drawn at all (its one colour), whatever that colour is."""
    return [image.pixelColor(x, y).alpha() > 128 for y in range(image.height()) for x in range(image.width())]


def _hues(image: QImage) -> set[int]:
    return {
        image.pixelColor(x, y).hslHue()
        for y in range(image.height())
        for x in range(image.width())
        if image.pixelColor(x, y).alpha() > 0
    }


@pytest.mark.parametrize("size", [16, 22, 32])
def test_mono_icons_keep_a_distinct_emblem_per_state(qapp: QApplication, size: int) -> None:
    masks = {state: _ink_mask(_mono(state, size)) for state in State}
    for a, b in itertools.combinations(State, 2):
        differing = sum(x != y for x, y in zip(masks[a], masks[b], strict=True))
        assert differing >= size, f"{a} and {b} look alike in mono at {size} px"


@pytest.mark.parametrize("state", list(State))
def test_mono_icons_are_one_grey_without_any_hue(qapp: QApplication, state: State) -> None:
    image = _mono(state, 32)
    assert _hues(image) == {-1}, f"{state} has hues {_hues(image)}"  # Qt's hue of a grey is -1
    opaque = {
        image.pixelColor(x, y).rgb() for y in range(32) for x in range(32) if image.pixelColor(x, y).alpha() == 255
    }
    assert len(opaque) == 1, f"{state} uses several greys: {opaque}"
    colour = state_icon(state).pixmap(32, 32).toImage().convertToFormat(QImage.Format.Format_ARGB32)
    assert _hues(colour) != {-1} or state in (State.STOPPED, State.UNKNOWN)  # the colour style keeps its hues
