"""The bundle's entry point: `app.tray:main`, the same as the `llm-link-tray` console script.

`llm-link-tray --gateway ARGS…` runs the editor-facing gateway instead (`python -m app.gateway ARGS…`): the
bundle has no Python of its own to run `-m` with, so app/supervisor/gateway.py starts the bundle so. Nothing
but the standard library is imported before that branch, and the spec keeps PyInstaller's PySide6 runtime hook
(which imports QtCore) from running in it: the gateway loads only asyncio, h11 and the stdlib.

One extra, for the bundle only: `llm-link-tray --bundle-check` prints (as JSON) what the frozen app can
reach — the Python packages, keyring's backends as found through their entry points, the Qt modules,
platform plugins and image formats, the autostart command — and exits 1 when a part the tray needs is
missing. A bundler that drops something imported lazily (keyring loads its backends by entry point;
jeepney is imported only when a notification is sent) fails here instead of on a user's desktop. From the
source tree, `.venv/bin/python packaging/entry.py --bundle-check` shows what a correct bundle reports.
It also starts the bundle's gateway (as the supervisor would) and talks to it over its control socket.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

CHECK_FLAG = "--bundle-check"
GATEWAY_FLAG = "--gateway"  # also in llm-link-tray.spec (the runtime hooks it skips) and app/supervisor/gateway.py
GATEWAY_TIMEOUT = 20.0  # for each step of the gateway check
# Shared libraries the gateway must not map: Qt (PyInstaller's PySide6 runtime hook would load QtCore).
GATEWAY_HEAVY_LIBRARIES = ("libQt6", "libpyside6", "libshiboken6")
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

    # The gateway, as the supervisor starts it: app.supervisor.gateway must run this very bundle with --gateway.
    from app.supervisor.gateway import launch_command as gateway_command

    this = [sys.executable] if report["frozen"] else [sys.executable, os.path.abspath(__file__)]
    argv = [*this, GATEWAY_FLAG]
    report["gateway_command"] = gateway_command()
    if report["frozen"] and report["gateway_command"] != argv:
        problems.append(f"the supervisor would start the gateway as {report['gateway_command']}, not {argv}")
    report["gateway"] = gateway_check(argv, problems)
    return report


def gateway_check(argv: list[str], problems: list[str]) -> dict[str, Any]:
    """Start the gateway on a free loopback port with a throwaway token, wait for GATEWAY_READY, check that
    `hello` on its control socket repeats the token, shut it down and expect exit code 0."""
    import secrets
    import subprocess
    import tempfile

    found: dict[str, Any] = {"ready": False, "hello": False, "exit_code": None}
    token = secrets.token_urlsafe(24)
    env = dict(os.environ, LLM_LINK_TRAY_GATEWAY_TOKEN=token)
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryFile() as stderr:
        control = os.path.join(folder, "gateway.sock")
        args = ["--listen", "127.0.0.1:0", "--control", control, "--hold-seconds", "0"]
        try:
            proc = subprocess.Popen(
                [*argv, *args], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr
            )
        except OSError as exc:
            problems.append(f"the gateway cannot be started: {exc}")
            return found
        step = "GATEWAY_READY"
        try:
            assert proc.stdout is not None
            line = _read_line(proc.stdout.fileno(), GATEWAY_TIMEOUT)
            if not line.startswith("GATEWAY_READY "):
                raise ValueError(f"it printed {line!r}")
            ready = json.loads(line.removeprefix("GATEWAY_READY "))
            found["ready"], found["port"] = True, ready["port"]
            step = "hello"
            hello = _control(control, {"cmd": "hello", "id": 1})
            if not hello.get("ok"):
                raise ValueError(f"it refused: {hello.get('error')}")
            if hello.get("token") != token:
                raise ValueError("it answered with another identity token than the one it was started with")
            if hello.get("pid") != proc.pid:
                raise ValueError(f"it answered as pid {hello.get('pid')}, not {proc.pid}")
            found["hello"] = True
            found["libraries"] = _heavy_libraries(proc.pid)
            if found["libraries"]:
                problems.append(f"the gateway loaded {', '.join(found['libraries'])}: it must not load Qt")
            step = "shutdown"
            if not _control(control, {"cmd": "shutdown", "id": 2}).get("ok"):
                raise ValueError("it refused")
            found["exit_code"] = proc.wait(GATEWAY_TIMEOUT)
            if found["exit_code"] != 0:
                raise ValueError(f"it exited with {found['exit_code']}")
        except (OSError, ValueError, KeyError, TypeError, subprocess.TimeoutExpired) as exc:
            stderr.seek(0)
            output = stderr.read().decode(errors="replace").strip()[-2000:]
            problems.append(f"gateway {step}: {exc}" + (f"; its output: {output}" if output else ""))
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
    return found


def _read_line(fd: int, timeout: float) -> str:
    """The first line written to the pipe `fd`, waiting at most `timeout` seconds in all."""
    import selectors
    import time

    deadline = time.monotonic() + timeout
    data = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while b"\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                raise ValueError(f"nothing within {timeout:g} s")
            chunk = os.read(fd, 4096)
            if not chunk:
                raise ValueError("it exited before it was ready" + (f" (it printed {data!r})" if data else ""))
            data += chunk
    return data.split(b"\n", 1)[0].decode(errors="replace")


def _control(path: str, request: dict[str, Any]) -> dict[str, Any]:
    """One command on its own connection to the gateway's control socket; its JSON answer."""
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(GATEWAY_TIMEOUT)
        sock.connect(path)
        sock.sendall(json.dumps(request).encode() + b"\n")
        data = b""
        while b"\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                raise ValueError(f"the control socket closed without answering {request['cmd']}")
            data += chunk
    answer = json.loads(data.split(b"\n", 1)[0])
    if not isinstance(answer, dict):
        raise ValueError(f"{request['cmd']}: an answer that is not a JSON object")
    return answer


def _heavy_libraries(pid: int) -> list[str]:
    """The Qt libraries process `pid` has mapped (Linux; elsewhere none are seen)."""
    try:
        with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as maps:
            names = {os.path.basename(line.split()[-1]) for line in maps if "/" in line}
    except OSError:
        return []
    return sorted(n for n in names if n.startswith(GATEWAY_HEAVY_LIBRARIES))


def _class_name(obj: object) -> str:
    return f"{type(obj).__module__}.{type(obj).__name__}"


def main() -> int:
    if sys.argv[1:2] == [GATEWAY_FLAG]:
        from app.gateway.__main__ import main as gateway_main

        return gateway_main(sys.argv[2:])
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
