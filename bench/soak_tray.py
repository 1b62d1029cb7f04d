"""Soak the real Qt tray: idle, then thousands of switches and restarts through the CLI, on a real desktop.

    .venv/bin/python -m bench.soak_tray [--idle-minutes 30] [--switches 2000] [--restarts 500] [--json FILE]

The tray runs as a user runs it (`python -m app`) under its own Xvfb with trayer, a session bus, an unlocked
gnome-keyring holding two providers' keys and a notification daemon (bench/desktop.py). It idles first: the
PySide6 6.12.0 None leak killed an idle tray after ~20 minutes. Then it switches between two providers with
stored keys (each switch a new llm-link pid) and restarts llm-link. Along the way it samples the tray's RSS,
open fds and the reference count of None (from `status --json`). At the end the tray must be alive with one
llm-link, fds +0 and RSS growth ≤ 5 MB from the first sample after the first menu open (the keyring stack loads
lazily), and `quit` must end it with exit status 0.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

from app.paths import llmlink_builds_dir
from app.settings import Settings, SettingsFile
from app.supervisor.config import LlmLinkConfig
from bench.desktop import open_tray_menu, private_desktop, wait_until

REPO = Path(__file__).resolve().parent.parent
KEYS = {"zhipu": "zhipu-soak-key-0123456789", "openai": "sk-soak-openai-0123456789"}
PROVIDERS = ("openai", "zhipu")
RSS_GROWTH_LIMIT_MB = 5.0


@dataclass
class Sample:
    phase: str
    done: int
    elapsed_s: float
    state: str
    rss_mb: float
    fds: int
    none_refcount: int


@dataclass
class Result:
    idle_minutes: float
    switches: int
    restarts: int
    switch_failures: int = 0
    restart_failures: int = 0
    same_pid_after_switch: int = 0
    tray_alive: bool = False
    llmlink_processes: int = 0
    fd_growth: int = 0
    rss_growth_mb: float = 0.0
    none_refcount_change: int = 0
    quit_exit_status: int | None = None
    menu_opened: bool = False
    failures: list[str] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return (
            self.tray_alive
            and self.switch_failures == 0
            and self.restart_failures == 0
            and self.llmlink_processes == 1
            and self.fd_growth <= 0
            and self.rss_growth_mb <= RSS_GROWTH_LIMIT_MB
            and self.quit_exit_status == 0
        )


class Tray:
    """The tray process and its command line, in one config dir on one desktop."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env
        self.stderr = (root / "tray.stderr").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "--config-dir", str(root)],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
        )

    def cli(self, *args: str, timeout: float = 120) -> tuple[int, dict[str, Any] | str]:
        done = subprocess.run(
            [sys.executable, "-m", "app", "--config-dir", str(self.root), *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if "--json" in args:
            try:
                return done.returncode, json.loads(done.stdout)
            except ValueError:
                return done.returncode, done.stdout + done.stderr
        return done.returncode, (done.stdout + done.stderr).strip()

    def status(self) -> dict[str, Any]:
        code, status = self.cli("status", "--json")
        if not isinstance(status, dict):
            raise RuntimeError(f"status --json exited {code}: {status}")
        return status

    def sample(self, phase: str, done: int, started: float) -> Sample:
        status = self.status()
        proc = psutil.Process(self.proc.pid)
        return Sample(
            phase,
            done,
            round(time.monotonic() - started, 1),
            str(status.get("state")),
            round(proc.memory_info().rss / 2**20, 2),
            proc.num_fds(),
            int(status.get("tray", {}).get("none_refcount", -1)),
        )


def llmlink_pids(tray_pid: int, binary: Path) -> list[int]:
    """This tray's llm-link processes (its children): other trays or test runs on the machine are not ours to
    count or kill."""
    found = []
    try:
        children = psutil.Process(tray_pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    for proc in children:
        try:
            if proc.exe() == str(binary) and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc.pid)
        except psutil.Error:
            continue
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def soak(binary: Path, idle_minutes: float, switches: int, restarts: int, log: Any) -> Result:
    result = Result(idle_minutes, switches, restarts)
    with private_desktop() as env, tempfile.TemporaryDirectory(prefix="llm-link-tray-soak-") as tmp:
        root = Path(tmp)
        for provider, key in KEYS.items():
            subprocess.run(
                [sys.executable, "-c", f"import keyring; keyring.set_password('llm-link-tray', {provider!r}, {key!r})"],
                env=env,
                check=True,
                timeout=60,
            )
        config = LlmLinkConfig(provider="zhipu", binary=str(binary), port=free_port())
        SettingsFile(root / "config").save(Settings(llmlink=config))
        tray = Tray(root, env)
        started = time.monotonic()
        try:
            wait_until(lambda: tray.cli("status")[0] == 0 and tray.status()["state"] == "RUNNING", 60, "RUNNING")
            result.menu_opened = open_tray_menu(env)
            # The menu's first open reads the keyring in the background; let that settle before the baseline.
            wait_until(lambda: tray.status()["state"] == "RUNNING", 30, "RUNNING after the menu")
            baseline = tray.sample("baseline", 0, started)
            result.samples.append(baseline)
            print(f"baseline: {baseline}", file=log, flush=True)

            idle_until = time.monotonic() + idle_minutes * 60
            while time.monotonic() < idle_until:
                time.sleep(min(60.0, max(0.0, idle_until - time.monotonic())))
                if tray.proc.poll() is not None:
                    raise RuntimeError(f"the tray died while idle (exit {tray.proc.returncode})")
                result.samples.append(tray.sample("idle", 0, started))
                print(f"idle: {result.samples[-1]}", file=log, flush=True)

            last_pid = tray.status()["pid"]
            for i in range(switches):
                provider = PROVIDERS[i % 2]
                code, message = tray.cli("switch", provider)
                pid = tray.status()["pid"]
                if code != 0:
                    result.switch_failures += 1
                    result.failures.append(f"switch {i} to {provider}: exit {code}: {message}")
                elif pid == last_pid:
                    result.same_pid_after_switch += 1
                last_pid = pid
                if (i + 1) % 100 == 0:
                    result.samples.append(tray.sample("switch", i + 1, started))
                    print(f"switches: {result.samples[-1]}", file=log, flush=True)

            for i in range(restarts):
                code, message = tray.cli("restart")
                if code != 0:
                    result.restart_failures += 1
                    result.failures.append(f"restart {i}: exit {code}: {message}")
                if (i + 1) % 100 == 0:
                    result.samples.append(tray.sample("restart", i + 1, started))
                    print(f"restarts: {result.samples[-1]}", file=log, flush=True)

            final = tray.sample("final", switches + restarts, started)
            result.samples.append(final)
            result.tray_alive = tray.proc.poll() is None
            result.llmlink_processes = len(llmlink_pids(tray.proc.pid, binary))
            result.fd_growth = final.fds - baseline.fds
            result.rss_growth_mb = round(final.rss_mb - baseline.rss_mb, 2)
            result.none_refcount_change = final.none_refcount - baseline.none_refcount
            tray.cli("quit")
            result.quit_exit_status = tray.proc.wait(60)
        finally:
            leftovers = llmlink_pids(tray.proc.pid, binary) if tray.proc.poll() is None else []
            if tray.proc.poll() is None:
                tray.proc.kill()
                tray.proc.wait()
            tray.stderr.close()
            for pid in leftovers:
                with contextlib.suppress(psutil.Error):
                    psutil.Process(pid).kill()
            if tray.proc.returncode not in (0, None):
                print((root / "tray.stderr").read_text()[-4000:], file=log)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--binary", type=Path, default=_default_binary())
    parser.add_argument("--idle-minutes", type=float, default=30.0)
    parser.add_argument("--switches", type=int, default=2000)
    parser.add_argument("--restarts", type=int, default=500)
    parser.add_argument("--json", type=Path, help="write the result here")
    args = parser.parse_args(argv)
    result = soak(args.binary.resolve(), args.idle_minutes, args.switches, args.restarts, sys.stdout)
    print(
        f"tray soak: {result.idle_minutes:g} min idle, {result.switches} switches ({result.switch_failures} failed, "
        f"{result.same_pid_after_switch} kept the pid), {result.restarts} restarts ({result.restart_failures} "
        f"failed); tray alive: {result.tray_alive}; llm-link processes: {result.llmlink_processes}; "
        f"fds {result.fd_growth:+d}; RSS {result.rss_growth_mb:+.2f} MB; None refcount "
        f"{result.none_refcount_change:+d}; quit exit status {result.quit_exit_status}; "
        f"menu opened: {result.menu_opened}; {'PASS' if result.passed else 'FAIL'}"
    )
    for failure in result.failures[:20]:
        print(f"  {failure}")
    if args.json:
        args.json.write_text(json.dumps({**asdict(result), "passed": result.passed}, indent=2))
    return 0 if result.passed else 1


def _default_binary() -> Path:
    versions = (REPO / "tests" / "llm-link-versions.txt").read_text().split()
    return llmlink_builds_dir() / versions[0] / "bin" / "llm-link"


if __name__ == "__main__":
    sys.exit(main())
