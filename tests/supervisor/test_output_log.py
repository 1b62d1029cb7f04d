"""llm-link's output log: bounded, rotated, scrubbed of keys."""

from __future__ import annotations

from pathlib import Path

from app.secret import Secret
from app.supervisor.output_log import OutputLog


def test_the_log_rotates_and_stays_bounded(tmp_path: Path) -> None:
    log = OutputLog(tmp_path / "llm-link.log", max_bytes=10_000, backups=4)
    for i in range(2_000):
        log.write(f"line {i:05d} " + "x" * 80)
    log.close()
    files = sorted(tmp_path.glob("llm-link.log*"))
    assert [f.name for f in files] == ["llm-link.log", *(f"llm-link.log.{n}" for n in range(1, 5))]
    assert sum(f.stat().st_size for f in files) <= 5 * 10_000 + 200
    assert "line 01999" in (tmp_path / "llm-link.log").read_text()
    assert log.tail(2)[-1].startswith("line 01999")


def test_a_known_key_never_reaches_the_file(tmp_path: Path) -> None:
    key = Secret("sk-live-abcdefghijklmnopqrstuvwxyz")
    log = OutputLog(tmp_path / "llm-link.log")
    log.write(f'Headers: {{"authorization": "Bearer {key.reveal()}"}}')
    log.close()
    text = (tmp_path / "llm-link.log").read_text()
    assert key.reveal() not in text
    assert "sk-l…wxyz" in text
    assert key.reveal() not in " ".join(log.tail())
