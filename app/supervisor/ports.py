"""Who holds a port: the PORT_IN_USE a user sees names the program, so they know what to quit."""

from __future__ import annotations

import socket
from pathlib import Path

import psutil

from app.errors import AppError, ErrorCode


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now, from the kernel's ephemeral range: each llm-link behind the gateway gets
    a fresh one, so a new instance starts beside the one still serving."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use_error(port: int) -> AppError:
    holder = port_holder(port)
    who = f"{holder[1]} (pid {holder[0]})" if holder else "another program"
    return AppError(
        ErrorCode.PORT_IN_USE,
        f"port {port} is already used by {who}",
        "Quit that program, or pick another port for llm-link in Settings.",
    )


def port_holder(port: int) -> tuple[int, str] | None:
    """(pid, "name: command line") of whoever listens on `port`, where the OS lets us see it."""
    try:
        connections = psutil.net_connections(kind="inet")
    except (psutil.AccessDenied, OSError):
        return None
    for conn in connections:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
            try:
                proc = psutil.Process(conn.pid)
                cmdline = proc.cmdline()
            except psutil.Error:
                return conn.pid, "an unknown program"
            command = " ".join([Path(cmdline[0]).name, *cmdline[1:]]) if cmdline else ""
            if len(command) > 80:
                command = command[:79] + "…"
            return conn.pid, f"{proc.name()}: {command}" if command else proc.name()
    return None
