"""A private desktop for benchmarks that run the real tray: Xvfb, a session bus, an unlocked gnome-keyring,
trayer (an XEmbed tray host) and a notification daemon, all torn down together.

Everything is started afresh in its own X display and bus, so a benchmark neither needs nor disturbs the
caller's desktop.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

NOTIFICATION_DAEMON = "/usr/lib/notification-daemon/notification-daemon"
TOOLS = ("Xvfb", "dbus-daemon", "gnome-keyring-daemon", "trayer", "xwininfo", "xdotool")


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll a condition the desktop offers no event for (a window appearing, a bus name taken)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)  # noqa: sleep-ok - poll interval of a condition wait with a deadline


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


@contextlib.contextmanager
def private_desktop() -> Iterator[dict[str, str]]:
    """Yields the environment a desktop program needs (DISPLAY, DBUS_SESSION_BUS_ADDRESS, HOME, …)."""
    lacking = missing_tools()
    if lacking:
        raise RuntimeError(f"missing desktop tools: {', '.join(lacking)} (scripts/run-tests installs them)")
    procs: list[subprocess.Popen[str]] = []
    with tempfile.TemporaryDirectory(prefix="llm-link-tray-desktop-") as tmp:
        root = Path(tmp)
        home, runtime = root / "home", root / "run"
        for folder in (home, runtime):
            folder.mkdir(mode=0o700)
        try:
            # -displayfd: Xvfb picks a free display number and says which once it accepts clients.
            xvfb = subprocess.Popen(
                ["Xvfb", "-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-noreset"],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            procs.append(xvfb)
            assert xvfb.stdout is not None
            display = f":{xvfb.stdout.readline().strip()}"
            bus = subprocess.Popen(
                ["dbus-daemon", "--session", "--nofork", "--print-address=1"], stdout=subprocess.PIPE, text=True
            )
            procs.append(bus)
            assert bus.stdout is not None
            env = {
                "PATH": os.environ["PATH"],
                "HOME": str(home),
                "XDG_RUNTIME_DIR": str(runtime),
                "XDG_DATA_HOME": str(home / "data"),
                "XDG_CONFIG_HOME": str(home / "config"),
                "DISPLAY": display,
                "DBUS_SESSION_BUS_ADDRESS": bus.stdout.readline().strip(),
                "LANG": os.environ.get("LANG", "C.UTF-8"),
            }
            subprocess.run(
                ["gnome-keyring-daemon", "--unlock", "--components=secrets", "--daemonize"],
                input="bench-password",
                text=True,
                env=env,
                capture_output=True,
                timeout=30,
                check=True,
            )
            # --daemonize returns before the daemon owns the Secret Service name; a client that came first
            # would have D-Bus start a second, passwordless daemon.
            wait_until(lambda: name_has_owner("org.freedesktop.secrets", env), 10, "the Secret Service")
            # No prompter window may open on this display: nobody would answer it.
            subprocess.run(["dbus-update-activation-environment", "DISPLAY="], env=env, check=True, timeout=10)
            procs.append(
                subprocess.Popen(
                    ["trayer", "--edge", "bottom", "--align", "right", "--widthtype", "request", "--height", "32"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    text=True,
                )
            )
            wait_until(lambda: '"panel"' in _tree(env), 10, "trayer's panel")
            if Path(NOTIFICATION_DAEMON).exists():
                procs.append(
                    subprocess.Popen(
                        [NOTIFICATION_DAEMON], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
                    )
                )
            yield env
        finally:
            _kill_keyring(root)
            for proc in reversed(procs):
                proc.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(5)
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                if proc.stdout is not None:
                    proc.stdout.close()


def open_tray_menu(env: dict[str, str], title: str = "llm-link-tray") -> bool:
    """Right-click the tray icon (the window trayer embeds for us), then close the menu with Escape.

    Returns False when no icon window was found (no tray host took it)."""
    found = subprocess.run(
        ["xdotool", "search", "--name", title], env=env, capture_output=True, text=True, check=False
    ).stdout.split()
    for window in found:
        geometry = subprocess.run(
            ["xdotool", "getwindowgeometry", "--shell", window], env=env, capture_output=True, text=True, check=False
        ).stdout
        values = dict(line.split("=", 1) for line in geometry.splitlines() if "=" in line)
        if int(values.get("WIDTH", "0")) > 64:  # a real window (the settings dialog), not the icon
            continue
        x = int(values.get("X", "0")) + int(values.get("WIDTH", "0")) // 2
        y = int(values.get("Y", "0")) + int(values.get("HEIGHT", "0")) // 2
        subprocess.run(["xdotool", "mousemove", str(x), str(y), "click", "3"], env=env, check=False, timeout=10)
        time.sleep(0.5)  # the menu maps asynchronously; nothing to wait on from outside the app
        subprocess.run(["xdotool", "key", "Escape"], env=env, check=False, timeout=10)
        return True
    return False


def name_has_owner(name: str, env: dict[str, str] | None = None) -> bool:
    """Whether `name` is owned on the session bus of `env` (default: ours). Tests use it too."""
    reply = subprocess.run(
        ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
         "org.freedesktop.DBus.NameHasOwner", f"string:{name}"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return "boolean true" in reply.stdout


def _tree(env: dict[str, str]) -> str:
    return subprocess.run(["xwininfo", "-root", "-tree"], env=env, capture_output=True, text=True, check=False).stdout


def _kill_keyring(root: Path) -> None:
    """gnome-keyring-daemon daemonizes, so it is no child of ours: find it by the HOME we gave it."""
    import psutil

    for proc in psutil.process_iter(["name", "environ"]):
        with contextlib.suppress(psutil.Error):
            if proc.info["name"] == "gnome-keyring-daemon" and str(root) in (proc.info["environ"] or {}).get(
                "HOME", ""
            ):
                proc.kill()
