"""The docs say what the code does: every CLI command and saved query appears in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from ruhrkg.graph import saved
from ruhrkg.server.cli import main

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_is_in_the_readme(command):
    assert f"ruhrkg {command}" in README


@pytest.mark.parametrize("name", saved.names())
def test_every_saved_query_is_in_the_readme(name):
    assert f"`{name}`" in README


def test_readme_has_exactly_two_setup_commands():
    section = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    commands = [line for line in section.splitlines() if line.startswith("    ") and line.strip()]
    assert len(commands) == 2, commands


def test_ci_runs_the_readme_test_command():
    section = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    test_command = [line.strip() for line in section.splitlines() if line.startswith("    ")][1]
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text()
    assert test_command in ci
