"""`python -m app.gateway --listen 127.0.0.1:11435 --control /run/user/1000/llm-link-tray/gw.sock`

The identity token comes from $LLM_LINK_TRAY_GATEWAY_TOKEN (removed from the environment once read) or
from `--token-file` (which must be ours and 0600). When both ports are bound, one line goes to stdout:

    GATEWAY_READY {"listen": "127.0.0.1:11435", "port": 11435, "control": "…", "pid": 4242}

Exit codes: 0 after `shutdown` or SIGTERM/SIGINT, 2 bad arguments, 3 the listen port is taken,
4 the control socket is in use by another process.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import signal
import stat
import sys
from pathlib import Path
from typing import Final

from app.gateway.control import ControlServer, ControlSocketBusy
from app.gateway.server import STOPPED_REASON, Gateway, GatewayConfig, log

TOKEN_ENV: Final = "LLM_LINK_TRAY_GATEWAY_TOKEN"  # noqa: S105 - the variable's name, not a token
READY_PREFIX: Final = "GATEWAY_READY "
EXIT_USAGE, EXIT_PORT_IN_USE, EXIT_CONTROL_BUSY = 2, 3, 4


class UsageError(Exception):
    pass


def parse_listen(value: str) -> tuple[str, int]:
    """`127.0.0.1:11435` or `[::1]:11435`; only loopback: the editor port is not for the network."""
    host, sep, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if host == "localhost":
        host = "127.0.0.1"  # one address: a name could resolve to several, or to something else
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise UsageError(f"--listen {value!r}: write HOST:PORT, e.g. 127.0.0.1:11435")
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise UsageError(f"--listen {value!r}: the gateway listens on a loopback address only")
    return host, int(port)


def read_token(token_file: str | None) -> str:
    if token_file is not None:
        try:
            info = os.stat(token_file)
            token = Path(token_file).read_text().strip()
        except OSError as exc:
            raise UsageError(f"--token-file {token_file}: {exc.strerror}") from None
        if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
            raise UsageError(f"--token-file {token_file} must be ours with mode 0600")
    else:
        token = os.environ.pop(TOKEN_ENV, "").strip()
    if len(token) < 16:
        raise UsageError(f"no identity token: set ${TOKEN_ENV} or pass --token-file (16 characters or more)")
    return token


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m app.gateway", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--listen", required=True, help="editor-facing HOST:PORT (loopback; port 0 picks one)")
    parser.add_argument("--control", required=True, type=Path, help="path of the control Unix socket")
    parser.add_argument("--token-file", help=f"file holding the identity token (else ${TOKEN_ENV})")
    parser.add_argument("--upstream", type=int, help="llm-link's private port to start with (else none)")
    parser.add_argument(
        "--hold-seconds",
        type=float,
        default=10.0,
        help="how long a request waits for an llm-link while none serves (default 10)",
    )
    parser.add_argument("--health-window", type=int, default=20, help="llm-link answers kept for health")
    parser.add_argument("--stopped-reason", default=STOPPED_REASON, help="the 503 message while none serves")
    return parser.parse_args(argv)


async def amain(args: argparse.Namespace, host: str, port: int, token: str) -> int:
    config = GatewayConfig(host, port, token, args.hold_seconds, args.health_window, args.stopped_reason)
    gateway = Gateway(config)
    try:
        await gateway.start()
    except OSError as exc:
        log(f"cannot listen on {host}:{port}: {exc.strerror}")
        return EXIT_PORT_IN_USE
    control = ControlServer(gateway, args.control)
    try:
        await control.start()
    except ControlSocketBusy as exc:
        log(str(exc))
        return EXIT_CONTROL_BUSY
    except OSError as exc:
        log(f"cannot listen on {args.control}: {exc.strerror}")
        return EXIT_USAGE
    if args.upstream:
        await gateway.set_upstream("127.0.0.1", args.upstream, None, None, 0.0)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, gateway.request_shutdown, 2.0)
    ready = {"listen": f"{host}:{gateway.port}", "port": gateway.port, "control": str(args.control), "pid": os.getpid()}
    print(READY_PREFIX + json.dumps(ready), flush=True)
    try:
        await gateway.run_until_shutdown()
    finally:
        await control.close()
    log("stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        host, port = parse_listen(args.listen)
        token = read_token(args.token_file)
        if args.hold_seconds < 0 or args.health_window < 1:
            raise UsageError("--hold-seconds must be ≥ 0 and --health-window ≥ 1")
    except UsageError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return asyncio.run(amain(args, host, port, token))


if __name__ == "__main__":
    sys.exit(main())
