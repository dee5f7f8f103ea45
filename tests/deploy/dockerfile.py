"""Reading the Dockerfile as Docker does: instructions, continuation lines, JSON forms."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from tests.deploy.files import ROOT

DOCKERFILE: Final = ROOT / "Dockerfile"
_CONTINUATION: Final = re.compile(r"\\\n\s*")


@dataclass(frozen=True, slots=True)
class Instruction:
    keyword: str
    arguments: str

    def exec_form(self) -> list[str]:
        """The JSON array form (CMD, HEALTHCHECK ... CMD); shell form is not used here."""
        start = self.arguments.index("[")
        parsed: list[str] = json.loads(self.arguments[start:])
        return parsed

    def words(self) -> list[str]:
        return shlex.split(self.arguments)


def instructions(path: Path = DOCKERFILE) -> list[Instruction]:
    text = _CONTINUATION.sub(" ", path.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines()]
    result = []
    for line in lines:
        if not line or line.startswith("#"):
            continue
        keyword, _, arguments = line.partition(" ")
        result.append(Instruction(keyword.upper(), arguments.strip()))
    return result


def healthcheck_command() -> list[str]:
    (check,) = [item for item in instructions() if item.keyword == "HEALTHCHECK"]
    return check.exec_form()
