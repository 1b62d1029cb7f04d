"""The bundle's entry point: `app.tray:main`, the same as the `llm-link-tray` console script.

One extra, for the bundle only: `llm-link-tray --bundle-check` prints (as JSON) what the frozen app can
reach — the Python packages, keyring's backends as found through their entry points, the Qt modules,
platform plugins and image formats, the autostart command — and exits 1 when a part the tray needs is
missing. A bundler that drops something imported lazily (keyring loads its backends by entry point;
jeepney is imported only when a notification is sent) fails here instead of on a user's desktop. From the
source tree, `.venv/bin/python packaging/entry.py --bundle-check` shows what a correct bundle reports.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

CHECK_FLAG = "--bundle-check"
PYTHON_MODULES = (
    "httpx",
    "psutil",
    "platformdirs",
    "qasync",
    "keyring",
    "secretstorage",
    "jeepney",
    "jeepney.io.asyncio",
)
QT_MODULES = ("QtCore", "QtGui", "QtWidgets")
# Entry points keyring must find: its SecretService backend (secretstorage over jeepney) is the Linux one.
KEYRING_BACKENDS = ("keyring.backends.SecretService", "keyring.backends.chainer")
PLATFORMS = ("xcb", "offscreen")
IMAGE_FORMATS = ("png", "svg")


def bundle_check() -> dict[str, Any]:
    import importlib

    report: dict[str, Any] = {
        "frozen": bool(getattr(sys, "frozen", False)) or "__compiled__" in globals(),
        "problems": [],
    }
    problems: list[str] = report["problems"]
    for name in PYTHON_MODULES:
        try:
            importlib.import_module(name)
        except Exception as exc:
            problems.append(f"python module {name}: {exc!r}")

    # The autostart entry must start this very executable: app.autostart keys that on sys.frozen (set by
    # PyInstaller; Nuitka sets only __compiled__), else it writes "python -m app".
    from app.autostart import launch_command

    report["launch_command"] = launch_command()
    if report["frozen"] and report["launch_command"] != [sys.executable]:
        problems.append(f"autostart would run {report['launch_command']}, not this bundle ({sys.executable})")

    import keyring
    import keyring.backend
    from keyring.compat.py312 import metadata

    found = sorted(ep.value for ep in metadata.entry_points(group="keyring.backends"))
    report["keyring_entry_points"] = found
    problems += [f"keyring entry point {name} not found" for name in KEYRING_BACKENDS if name not in found]
    for name in found:
        try:
            importlib.import_module(name)
        except Exception as exc:
            problems.append(f"keyring backend {name}: {exc!r}")
    # Whether a backend is usable depends on the desktop (a Secret Service on D-Bus), not on the bundle: the
    # report shows it so a bundle can be compared with the source tree on the same machine.
    report["keyring_viable"] = sorted(_class_name(b) for b in keyring.backend.get_all_keyring())
    report["keyring"] = _class_name(keyring.get_keyring())
    try:
        from keyring.backends import SecretService

        SecretService.Keyring.priority  # noqa: B018 — raises why it is not usable here
        report["secret_service"] = "usable"  # noqa: S105 — a status word, not a password
    except Exception as exc:
        report["secret_service"] = f"not usable here: {exc}"

    for name in QT_MODULES:
        try:
            importlib.import_module(f"PySide6.{name}")
        except Exception as exc:
            problems.append(f"Qt module {name}: {exc!r}")
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QGuiApplication, QImageReader

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    # Where this Qt looks for plugins (PyInstaller and Nuitka each point it into the bundle their own way).
    plugin_paths = [p for p in QCoreApplication.libraryPaths() if os.path.isdir(os.path.join(p, "platforms"))]
    report["qt_plugin_dirs"] = sorted({d for p in plugin_paths for d in os.listdir(p)})
    report["qt_platforms"] = sorted(
        {
            f.removeprefix("libq").removesuffix(".so")
            for p in plugin_paths
            for f in os.listdir(os.path.join(p, "platforms"))
        }
    )
    problems += [f"Qt platform plugin {name} not bundled" for name in PLATFORMS if name not in report["qt_platforms"]]
    formats = sorted(bytes(f.data()).decode() for f in QImageReader.supportedImageFormats())
    report["qt_image_formats"] = formats
    problems += [f"Qt image format {name} not available" for name in IMAGE_FORMATS if name not in formats]
    report["qt_platform"] = app.platformName()
    # The single-instance channel: a plain Unix socket (app/single_instance.py), no Qt.
    import tempfile
    from pathlib import Path

    from app.single_instance import listen

    with tempfile.TemporaryDirectory() as folder:
        try:
            listen(Path(folder) / "command.sock").close()
            report["command_socket"] = True
        except OSError as exc:
            report["command_socket"] = False
            problems.append(f"the command socket cannot listen: {exc}")
    return report


def _class_name(obj: object) -> str:
    return f"{type(obj).__module__}.{type(obj).__name__}"


def main() -> int:
    if sys.argv[1:2] == [CHECK_FLAG]:
        report = bundle_check()
        print(json.dumps(report, indent=2, sort_keys=True), flush=True)
        # An ordinary exit: the teardown abort that once needed os._exit here was PySide6 6.12.0's None leak,
        # pinned out (tests/test_qt_runtime.py).
        return 1 if report["problems"] else 0
    from app.tray import main as tray_main

    return tray_main()


if __name__ == "__main__":
    raise SystemExit(main())
