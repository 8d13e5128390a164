"""The command line as a user meets it: every command is listed and explains itself."""
from __future__ import annotations

import subprocess
import sys

from service.paths import PROJECT_ROOT

COMMANDS = ("validate", "reason", "export", "serve", "check", "diff", "bench")


def test_python_dash_m_lists_every_command():
    listed = subprocess.run([sys.executable, "-m", "service.cli", "--help"], capture_output=True, text=True,
                            cwd=PROJECT_ROOT, check=True).stdout
    for command in COMMANDS:
        assert f"  {command} " in listed or f"  {command}\n" in listed, command


def test_every_command_has_its_own_help(runner):
    from service.cli import main

    for command in COMMANDS[:-1]:  # bench passes --help on to the benchmark itself
        result = runner.invoke(main, [command, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, command
