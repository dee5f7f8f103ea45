"""``loka-stratum config validate | show | generate`` and the group itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from loka_stratum import __version__
from loka_stratum.cli import root

SCRIPT = Path(sys.executable).parent / "loka-stratum"
CLEAN_ENV: dict[str, str | None] = {
    "LOKA_CONFIG": None,
    "DATABASE_URL": None,
    "RUST_LOG": None,
    "LOKA_LOG": None,
}
"""Unset variables of the developer's shell that would change what the commands load."""


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    return CliRunner(env=CLEAN_ENV)


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(root, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"loka-stratum, version {__version__}\n"


def test_validate_valid_file(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "custom.toml"
    path.write_text("[server]\nport = 3400\n", encoding="utf-8")
    result = runner.invoke(root, ["config", "validate", "--config", str(path)])
    assert result.exit_code == 0
    assert result.stdout == f"configuration valid: {path} (mode pool)\n"


def test_validate_reports_each_problem_on_its_own_line(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[server]\nprot = 1\nidle_timeout = "soon"\n', encoding="utf-8")
    result = runner.invoke(
        root, ["config", "validate", "--config", str(path)], env={"LOKA_SERVER__PORT": "x"}
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "configuration invalid (3 problems):"
    assert lines[1].startswith('  server.port = "x": ')
    assert lines[1].endswith("(from LOKA_SERVER__PORT)")
    assert lines[2].startswith('  server.idle_timeout = "soon": invalid duration')
    assert lines[3] == "  server.prot: unknown key (did you mean 'port'?)"


def test_validate_without_file_uses_defaults(runner: CliRunner) -> None:
    result = runner.invoke(root, ["config", "validate"])
    assert result.exit_code == 0
    assert result.stdout == "configuration valid: built-in defaults (mode pool)\n"


def test_config_path_from_loka_config_then_working_directory(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "loka-stratum.toml").write_text('mode = "pool"\n', encoding="utf-8")
    other = tmp_path / "other.toml"
    other.write_text("mode = 1\n", encoding="utf-8")
    assert "loka-stratum.toml" in runner.invoke(root, ["config", "validate"]).stdout
    failed = runner.invoke(root, ["config", "validate"], env={"LOKA_CONFIG": str(other)})
    assert failed.exit_code == 1
    assert "mode = 1: " in failed.stderr


def test_validate_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(root, ["config", "validate", "--config", str(tmp_path / "no.toml")])
    assert result.exit_code == 1
    assert f"{tmp_path / 'no.toml'}: file not found" in result.stderr


def test_show_uses_the_process_environment_and_masks(runner: CliRunner) -> None:
    env = {"LOKA_SERVER__PORT": "3334", "DATABASE_URL": "postgres://u:hunter2hunter2@h/db"}
    result = runner.invoke(root, ["config", "show"], env=env)
    assert result.exit_code == 0
    assert "port = 3334" in result.stdout
    assert "# env:LOKA_SERVER__PORT" in result.stdout
    assert "hunter2hunter2" not in result.output
    assert "postgresql+asyncpg://u:********@h/db" in result.stdout


def test_show_invalid_config_exits_1(runner: CliRunner) -> None:
    result = runner.invoke(root, ["config", "show"], env={"LOKA_NOPE": "1"})
    assert result.exit_code == 1
    assert "LOKA_NOPE: unknown setting" in result.stderr


def test_generate_to_stdout_then_validate(runner: CliRunner, tmp_path: Path) -> None:
    generated = runner.invoke(root, ["config", "generate"])
    assert generated.exit_code == 0
    (tmp_path / "loka-stratum.toml").write_text(generated.stdout, encoding="utf-8")
    assert runner.invoke(root, ["config", "validate"]).exit_code == 0


def test_generate_refuses_to_overwrite_without_force(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "example.toml"
    target.write_text("keep me", encoding="utf-8")
    refused = runner.invoke(root, ["config", "generate", "--output", str(target)])
    assert refused.exit_code == 1
    assert "use --force" in refused.stderr
    assert target.read_text(encoding="utf-8") == "keep me"
    forced = runner.invoke(root, ["config", "generate", "--output", str(target), "--force"])
    assert forced.exit_code == 0
    assert forced.stdout == f"wrote {target}\n"
    assert target.read_text(encoding="utf-8").startswith("# loka-stratum configuration")


def test_unknown_command_is_a_usage_error(runner: CliRunner) -> None:
    assert runner.invoke(root, ["config", "frobnicate"]).exit_code == 2


def test_installed_script_generates_and_validates(tmp_path: Path) -> None:
    """The console script from pyproject.toml, as operators run it."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    target = tmp_path / "example.toml"
    generate = subprocess.run(
        [SCRIPT, "config", "generate", "--output", target],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert generate.returncode == 0, generate.stderr
    validate = subprocess.run(
        [SCRIPT, "config", "validate", "--config", target],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert validate.returncode == 0, validate.stderr
    assert validate.stdout == f"configuration valid: {target} (mode pool)\n"
    broken = subprocess.run(
        [SCRIPT, "config", "validate", "--config", target],
        capture_output=True,
        text=True,
        env={**env, "LOKA_SERVER__PORT": "99999"},
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert broken.returncode == 1
    assert 'server.port = "99999": ' in broken.stderr
