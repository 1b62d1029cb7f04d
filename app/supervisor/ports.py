"""Who holds a port: the PORT_IN_USE a user sees names the program, so they know what to quit."""

from __future__ import annotations

from pathlib import Path

import psutil

from app.errors import AppError, ErrorCode


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
