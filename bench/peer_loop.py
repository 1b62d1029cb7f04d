"""A plain restart loop, the peers that are nothing more: a systemd user unit with `Restart=always`,
`RestartSec=100ms` (emulated here: this container has no user systemd), or the Ollama desktop app's policy
(restart after 1 s, forever).

    python -m bench.peer_loop --delay 0.1 [--burst 5 --interval 10] -- PROGRAM ARG…

It waits on the child and sleeps exactly `--delay` before the next start, nothing else. `--burst/--interval` is
systemd's start limit (its defaults: `StartLimitBurst=5` within `StartLimitIntervalSec=10s`, restarts
included): one start more within the interval and the unit is failed ("start-limit-hit") and stays so.

One line per event on stdout, flushed: `START <pid> <unix time>`, `EXIT <pid> <code>`, `FAILED start-limit-hit`.
SIGTERM stops the child (SIGTERM, as systemd does) and the loop. Stdlib only: it is the peer, not our code.
"""

from __future__ import annotations

import argparse
import collections
import os
import signal
import subprocess
import sys
import time
from types import FrameType


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peer_loop")
    parser.add_argument("--delay", type=float, required=True, help="seconds between an exit and the next start")
    parser.add_argument("--burst", type=int, default=0, help="start limit: this many starts … (0: no limit)")
    parser.add_argument("--interval", type=float, default=10.0, help="… within this many seconds")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    starts: collections.deque[float] = collections.deque()
    child: subprocess.Popen[bytes] | None = None
    stopping = False

    def on_term(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    while not stopping:
        now = time.monotonic()
        if args.burst:
            while starts and now - starts[0] > args.interval:
                starts.popleft()
            if len(starts) >= args.burst:
                print("FAILED start-limit-hit", flush=True)
                return 1
            starts.append(now)
        child = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        print(f"START {child.pid} {time.time():.6f}", flush=True)
        code = child.wait()
        print(f"EXIT {child.pid} {code}", flush=True)
        if not stopping:
            time.sleep(args.delay)  # the peer's whole policy: RestartSec / Ollama's 1 s
    return 0


if __name__ == "__main__":
    os.environ.pop("PYTHONSTARTUP", None)
    sys.exit(main())
