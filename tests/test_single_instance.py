"""One tray per config dir, decided by an OS lock in a private runtime folder; its command socket survives
malformed requests. Real app processes and real llm-link throughout."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import socket
import stat
import threading
from pathlib import Path

import pytest

from app.paths import Paths
from app.runtime_dir import RuntimeDirError, check_private_dir, instance_files
from tests.app_process import PIPE, app_env, cli, start_app, wait_for_output, write_settings
from tests.llmlink_harness import free_port
from tests.supervisor.conftest import llmlink_processes


async def _quit(tray: asyncio.subprocess.Process) -> None:
    """SIGTERM quits a tray as the menu's Quit does (llm-link stopped), whoever holds the socket."""
    if tray.returncode is None:
        tray.terminate()
        try:
            await asyncio.wait_for(tray.wait(), 30)
        except TimeoutError:
            tray.kill()
            await tray.wait()


async def test_five_simultaneous_launches_leave_one_tray_that_answers_them_all(
    modern_binary: Path, tmp_path: Path
) -> None:
    config_dir = tmp_path / "tray"
    write_settings(config_dir, binary=str(modern_binary), port=free_port())
    env = app_env(tmp_path / "run")
    logs = [tmp_path / f"launch-{i}.log" for i in range(5)]
    sinks = [log.open("wb") for log in logs]
    try:
        launches = await asyncio.gather(
            *(
                start_app("--config-dir", str(config_dir), "start", env=env, stdout=PIPE, stderr=sink.fileno())
                for sink in sinks
            )
        )
    finally:
        for sink in sinks:
            sink.close()
    answers = {asyncio.ensure_future(proc.communicate()): proc for proc in launches}
    try:
        # Four hand their command over and end with the tray's answer; the fifth is the tray and stays.
        pending = set(answers)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while len(pending) > 1 and loop.time() < deadline:
            _, pending = await asyncio.wait(pending, timeout=deadline - loop.time(), return_when="FIRST_COMPLETED")
        handed_over = [answers[task] for task in answers if task not in pending]
        trays = [proc for proc in launches if proc.returncode is None]
        assert len(handed_over) == 4 and len(trays) == 1, [log.read_text()[-2000:] for log in logs]
        [tray] = trays
        llmlink_pid = json.loads((await cli(config_dir, "status", "--json", env=env))[1])["pid"]
        for task in answers:
            if task not in pending:
                out, _ = task.result()
                assert answers[task].returncode == 0
                assert out.decode().startswith(f"Running (PID {llmlink_pid})")
        tray_log = logs[launches.index(tray)].read_text()
        assert tray_log.count("command from another launch: start") == 4
        assert [p.pid for p in llmlink_processes()] == [llmlink_pid]
    finally:
        for proc in launches:
            await _quit(proc)
        for task in answers:
            task.cancel()
        await asyncio.gather(*answers, return_exceptions=True)


@pytest.mark.parametrize("where", ["xdg-runtime-dir", "fallback"])
async def test_the_lock_and_socket_live_in_a_private_runtime_dir(
    where: str, modern_binary: Path, tmp_path: Path
) -> None:
    config_dir = tmp_path / "tray"
    write_settings(config_dir, binary=str(modern_binary), port=free_port())
    if where == "xdg-runtime-dir":
        env = app_env(tmp_path / "run")
        folder = tmp_path / "run" / "llm-link-tray"
    else:
        (tmp_path / "tmp").mkdir()
        env = app_env(tmp_path / "run", XDG_RUNTIME_DIR="", TMPDIR=str(tmp_path / "tmp"))
        folder = tmp_path / "tmp" / f"llm-link-tray-{os.getuid()}"
    tray = await start_app("--config-dir", str(config_dir), env=env)
    try:
        await wait_for_output(tray, "supervising:")
        info = os.lstat(folder)
        assert stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o700 and info.st_uid == os.getuid()
        [lock] = folder.glob("*.lock")
        [sock] = folder.glob("*.sock")
        [gateway] = folder.glob("*.gw")  # the gateway's control socket lives there too, 0600
        assert stat.S_ISSOCK(os.lstat(sock).st_mode)
        assert stat.S_ISSOCK(os.lstat(gateway).st_mode) and stat.S_IMODE(os.lstat(gateway).st_mode) == 0o600
        with lock.open("rb") as handle, pytest.raises(BlockingIOError):
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the tray holds it
    finally:
        await _quit(tray)
    assert tray.returncode == 0
    assert not sock.exists() and not gateway.exists()


@pytest.mark.parametrize("kind", ["mode 0755", "symlink"])
async def test_an_unsafe_fallback_dir_is_refused(kind: str, modern_binary: Path, tmp_path: Path) -> None:
    config_dir = tmp_path / "tray"
    write_settings(config_dir, binary=str(modern_binary), port=free_port())
    shared_tmp = tmp_path / "tmp"
    shared_tmp.mkdir()
    planted = shared_tmp / f"llm-link-tray-{os.getuid()}"
    elsewhere = tmp_path / "elsewhere"
    if kind == "symlink":
        elsewhere.mkdir(mode=0o700)
        planted.symlink_to(elsewhere)
    else:
        planted.mkdir()
        planted.chmod(0o755)
    env = app_env(tmp_path / "run", XDG_RUNTIME_DIR="", TMPDIR=str(shared_tmp))
    code, _, err = await cli(config_dir, "start", env=env)
    assert code == 1
    reason = "symbolic link" if kind == "symlink" else "its mode is 0755, not 0700"
    assert f"refusing {planted}: " in err and reason in err and "Traceback" not in err, err
    assert llmlink_processes() == []  # no tray started
    assert list(elsewhere.glob("*")) == []


def test_a_fallback_dir_of_another_user_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "llm-link-tray-x"
    folder.mkdir(mode=0o700)
    check_private_dir(folder)  # ours: fine
    with pytest.raises(RuntimeDirError, match=rf"belongs to uid {os.getuid()}, not to uid {os.getuid() + 1}"):
        check_private_dir(folder, uid=os.getuid() + 1)


# --- the command socket -----------------------------------------------------------------------------------


def _raw_request(path: Path, line: bytes) -> dict[str, object]:
    """Send `line` as it is and read one answer line. The send runs beside the read: the tray answers a line
    over its cap without reading the rest, so a blocking sendall would wait on it forever."""

    def send() -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # it stopped reading: expected
            sock.sendall(line)

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(os.fspath(path))
        sender = threading.Thread(target=send)
        sender.start()
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        with contextlib.suppress(OSError):  # already disconnected by the tray
            sock.shutdown(socket.SHUT_RDWR)  # frees a sender still blocked on a full buffer
        sender.join()
    reply: dict[str, object] = json.loads(data)
    return reply


async def test_malformed_command_lines_are_answered_and_the_tray_keeps_serving(
    modern_binary: Path, tmp_path: Path
) -> None:
    config_dir = tmp_path / "tray"
    write_settings(config_dir, binary=str(modern_binary), port=free_port())
    env = app_env(tmp_path / "run")
    path = instance_files(Paths.under(config_dir).config_dir, environ=env).socket
    tray = await start_app("--config-dir", str(config_dir), env=env)
    try:
        await wait_for_output(tray, "supervising:")
        for line in (
            b"[" * 100_000 + b"]" * 100_000 + b"\n",  # the report: 200 KB, over the line cap
            b'{"command": "status", "args": ' + b"[" * 20_000 + b"]" * 20_000 + b"}\n",  # under the cap, too deep
            b'{"command": 5}\n',
            b'{"command": "status", "args": "ab"}\n',
            b"\xff\xfe\n",
        ):
            reply = await asyncio.to_thread(_raw_request, path, line)
            assert (reply["message"], reply["exit_code"]) == ("malformed request", 2), line[:40]
        code, out, _ = await cli(config_dir, "status", "--json", env=env)
        assert (code, json.loads(out)["state"]) == (0, "RUNNING")
        assert tray.returncode is None
    finally:
        await _quit(tray)
    assert tray.returncode == 0
