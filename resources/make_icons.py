"""Render resources/io.github.llm_link_tray.svg to the PNG sizes desktops ask for (16 to 512 px), and copy it
to hicolor/scalable (the set `llm-link-tray install-desktop` installs; hicolor/symbolic is drawn by hand).

QT_QPA_PLATFORM=offscreen .venv/bin/python resources/make_icons.py
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
HERE = Path(__file__).resolve().parent
NAME = "io.github.llm_link_tray"


def main() -> int:
    app = QGuiApplication(sys.argv[:1])  # noqa: F841 - Qt needs the application object to render
    renderer = QSvgRenderer(str(HERE / f"{NAME}.svg"))
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        target = HERE / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{NAME}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(target)):  # the format follows the suffix
            raise OSError(f"could not write {target}")
    scalable = HERE / "icons" / "hicolor" / "scalable" / "apps" / f"{NAME}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HERE / f"{NAME}.svg", scalable)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
