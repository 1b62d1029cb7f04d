"""Which llm-link version a binary is, for Settings to show.

llm-link has no `--version` (it exits with a usage error) and its `/health` and `/api/info` report fixed
strings, so `--help` only tells the launch contract apart. The version itself is known where the binary was
installed from crates.io: `cargo install` records it beside its `bin/` folder (`.crates2.json`, older cargo
`.crates.toml`); scripts/run-tray's builds and cargo's own root are such folders. pyllmlink's cache names
its folders after the version (`~/.cache/llm-link/<version>/<target>/llm-link`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Final

_CRATE_RE: Final = re.compile(r'^"?llm-link (\d+\.\d+\.\d+[^ ]*) ', re.MULTILINE)
_VERSION_RE: Final = re.compile(r"^v?(\d+\.\d+\.\d+[\w.+-]*)$")
_MAX_BYTES: Final = 256 * 1024


def version_of(binary: Path) -> str | None:
    """The version `binary` was installed as, or None when nothing records it."""
    root = binary.parent.parent
    for name in (".crates2.json", ".crates.toml"):
        found = _from_cargo_record(root / name, binary.name)
        if found:
            return found
    match = _VERSION_RE.match(root.name)
    return match.group(1) if match else None


def _from_cargo_record(record: Path, exe_name: str) -> str | None:
    try:
        with record.open("rb") as handle:
            text = handle.read(_MAX_BYTES).decode("utf-8", "replace")
    except OSError:
        return None
    if record.suffix == ".json":
        try:
            installs = json.loads(text).get("installs", {})
        except (ValueError, AttributeError):
            return None
        for package, info in installs.items() if isinstance(installs, dict) else ():
            bins = info.get("bins", []) if isinstance(info, dict) else []
            match = _CRATE_RE.match(f"{package} ")
            if match and exe_name in bins:
                return match.group(1)
        return None
    match = _CRATE_RE.search(text)
    return match.group(1) if match else None
