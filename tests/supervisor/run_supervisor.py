"""A supervisor in a process of its own, for tests that kill the supervisor: `python -m … BINARY PORT ROOT`."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from app.paths import Paths
from app.supervisor.config import LlmLinkConfig
from app.supervisor.supervisor import Supervisor
from tests.supervisor.conftest import FAST, lookup


async def main(binary: str, port: str, root: str) -> None:
    sup = Supervisor(LlmLinkConfig(binary=binary, port=int(port)), lookup, paths=Paths.under(Path(root)), policy=FAST)
    status = await sup.open()
    print(f"{status.state} {sup.pid}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
