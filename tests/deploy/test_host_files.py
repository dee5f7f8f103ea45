"""Host-side artefacts: the systemd unit, the logrotate file, HAProxy, the shell scripts.

Each is read and checked against the program (config paths, ports, signals, health
paths); the real tool checks it too where it is installed (systemd-analyze, logrotate,
haproxy, shellcheck). Nothing is skipped: without a tool the parsed checks still run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.files import CONFIG, DEPLOY, SCRIPTS, stratum_ports, validate_config
from tests.deploy.hostfiles import haproxy_sections, logrotate_blocks, systemd_unit
from tests.deploy.registry import health_paths
from tests.e2e.process import BIN

UNIT = DEPLOY / "systemd" / "loka-stratum.service"
LOGROTATE = DEPLOY / "logrotate" / "loka-stratum"
HAPROXY = DEPLOY / "haproxy" / "haproxy.cfg"
SCRIPT_FILES = sorted(SCRIPTS.glob("*.sh"))


def test_systemd_unit_has_what_the_manual_and_the_program_need(tmp_path: Path) -> None:
    service = systemd_unit(UNIT)["Service"]
    assert service["Type"] in {"simple", "exec"}
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert service["KillSignal"] == "SIGTERM"
    assert service["TimeoutStopSec"] == "30"
    assert service["LimitNOFILE"] == "65536"
    assert service["User"] not in {"root", "0"}
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    binary, verb, option, config = service["ExecStart"].split()
    assert (Path(binary).name, verb, option) == ("loka-stratum", "start", "--config")
    assert Path(config).name == CONFIG.name
    loaded = validate_config(CONFIG.read_text("utf-8"), tmp_path, {})
    writable = {f"/var/lib/{service['StateDirectory']}", f"/var/log/{service['LogsDirectory']}"}
    paths = [loaded.settings.database.journal_dir, loaded.settings.logging.file]
    for path in paths:
        assert path is not None
        assert any(Path(path).is_relative_to(root) for root in writable), path


def test_systemd_analyze_verify_finds_nothing(tmp_path: Path) -> None:
    """The unit as installed; ExecStart points at this tree's executable, which must exist."""
    analyze = shutil.which("systemd-analyze")
    service = systemd_unit(UNIT)["Service"]
    installed = service["ExecStart"].split()[0]
    if analyze is None:
        assert Path(installed).is_absolute()
        assert service["ExecReload"].split()[0] == "/bin/kill"
        return
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text("utf-8").replace(installed, str(BIN)), encoding="utf-8")
    done = subprocess.run(
        [analyze, "verify", "--man=no", str(unit)], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stderr.strip()) == (0, "")


def test_logrotate_rotates_the_configured_files_and_signals_a_reopen(tmp_path: Path) -> None:
    (block,) = logrotate_blocks(LOGROTATE.read_text("utf-8"))
    loaded = validate_config(CONFIG.read_text("utf-8"), tmp_path, {})
    for log_file in (loaded.settings.logging.file, loaded.settings.logging.security_file):
        assert log_file is not None
        assert Path(log_file).match(block.pattern)
    assert "SIGUSR1" in block.postrotate
    assert "systemctl kill --kill-whom=main --signal=SIGUSR1 loka-stratum.service" in (
        block.postrotate
    )
    assert "kill -s SIGUSR1 loka-stratum" in block.postrotate
    user = systemd_unit(UNIT)["Service"]["User"]
    assert block.directives["create"].split()[1:] == [user, user]
    assert {"missingok", "notifempty", "compress", "delaycompress"} <= set(block.directives)
    assert "copytruncate" not in block.directives


def test_logrotate_accepts_the_file(tmp_path: Path) -> None:
    """`logrotate -d` (dry run) where installed; the postrotate script is shell either way."""
    (block,) = logrotate_blocks(LOGROTATE.read_text("utf-8"))
    syntax = subprocess.run(["bash", "-n"], input=block.postrotate, text=True, check=False)
    assert syntax.returncode == 0
    logrotate = shutil.which("logrotate")
    if logrotate is None:
        return
    done = subprocess.run(
        [logrotate, "-d", "-s", str(tmp_path / "state"), str(LOGROTATE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "error" not in done.stderr.lower()


def test_haproxy_balances_stratum_over_tcp_checked_on_ready(tmp_path: Path) -> None:
    sections = haproxy_sections(HAPROXY.read_text("utf-8"))
    loaded = validate_config(CONFIG.read_text("utf-8"), tmp_path, {})
    frontend = sections["frontend stratum"]
    (bind,) = [line for line in frontend if line.startswith("bind ")]
    first, last = map(int, bind.split(":")[-1].split("-"))
    assert set(range(first, last + 1)) == stratum_ports(loaded)
    assert "mode tcp" in frontend
    backend = sections["backend stratum_pool"]
    assert "mode tcp" in backend
    assert "option httpchk" in backend
    (send,) = [line for line in backend if line.startswith("http-check send")]
    assert send.split("uri ")[1] in health_paths()
    (defaults,) = [line for line in backend if line.startswith("default-server")]
    assert f"check port {loaded.settings.http.health_port}" in defaults
    servers = [line.split() for line in backend if line.startswith("server ")]
    assert servers
    assert all(":" not in address for _, _, address, *_ in servers)  # same port as the miner's


def test_haproxy_accepts_the_file() -> None:
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        sections = haproxy_sections(HAPROXY.read_text("utf-8"))
        assert {"global", "defaults"} <= set(sections)
        return
    done = subprocess.run(
        [haproxy, "-c", "-f", str(HAPROXY)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("script", SCRIPT_FILES, ids=lambda path: path.name)
def test_script_is_strict_executable_bash(script: Path) -> None:
    text = script.read_text("utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert re.search(r"^set -euo pipefail$", text, re.MULTILINE)
    assert os.access(script, os.X_OK)
    done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (0, "")


@pytest.mark.parametrize("script", SCRIPT_FILES, ids=lambda path: path.name)
def test_script_is_shellcheck_clean(script: Path) -> None:
    """shellcheck where installed; otherwise the checks above (bash -n) are what there is."""
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        assert "`" not in "".join(
            line for line in script.read_text("utf-8").splitlines() if not line.startswith("#")
        ), "use $(...), not backticks"
        return
    done = subprocess.run([shellcheck, str(script)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout
