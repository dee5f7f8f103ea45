"""Readers for host configuration formats: systemd units, logrotate files, haproxy.cfg.

Each follows its tool's rules closely enough for the checks (sections, repeated keys,
continuation lines, script blocks); none of them is a full implementation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


def systemd_unit(path: Path) -> dict[str, dict[str, str]]:
    """Sections -> keys -> last value (systemd lets a later assignment win)."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, separator, value = line.partition("=")
        if current is None or not separator:
            raise ValueError(f"{path}: not a unit line: {raw!r}")
        current[key.strip()] = value.strip()
    return sections


@dataclass(slots=True)
class LogrotateBlock:
    pattern: str
    directives: dict[str, str] = field(default_factory=dict)
    postrotate: str = ""


def logrotate_blocks(text: str) -> list[LogrotateBlock]:
    """``PATTERN { directive [args] ... postrotate SCRIPT endscript }`` blocks."""
    blocks: list[LogrotateBlock] = []
    block: LogrotateBlock | None = None
    script: list[str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if script is not None:
            if line == "endscript":
                assert block is not None
                block.postrotate, script = "\n".join(script), None
            else:
                script.append(raw)
        elif not line or line.startswith("#"):
            continue
        elif line.endswith("{"):
            block = LogrotateBlock(line[:-1].strip())
        elif line == "}":
            assert block is not None
            blocks.append(block)
            block = None
        elif line == "postrotate":
            script = []
        else:
            if block is None:
                raise ValueError(f"directive outside a block: {raw!r}")
            name, _, arguments = line.partition(" ")
            block.directives[name] = arguments
    if block is not None or script is not None:
        raise ValueError("unterminated block or script")
    return blocks


def haproxy_sections(text: str) -> dict[str, list[str]]:
    """``global``, ``defaults``, ``frontend NAME``... -> their lines, comments removed."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if not line[0].isspace():
            current = sections.setdefault(" ".join(line.split()), [])
        elif current is None:
            raise ValueError(f"line outside a section: {raw!r}")
        else:
            current.append(" ".join(line.split()))
    return sections
