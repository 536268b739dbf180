"""The README's commands run as written (sqlite-utils habit: tests keep docs true)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- readme-commands -->\s*```bash\n(.*?)```", text, re.S)
    assert block, "README lost its readme-commands block"
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_quick_start_is_exactly_make_demo_and_make_test() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = re.search(r"## Quick start\s*```bash\n(.*?)```", text, re.S)
    assert quick
    commands = [line.split("#")[0].strip() for line in quick.group(1).splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_readme_commands_run(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    for command in readme_commands():
        args = shlex.split(command)
        assert args[0] == "promocast"
        result = subprocess.run([sys.executable, "-m", "promocast", *args[1:]], cwd=tmp_path,
                                env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    report = (tmp_path / "demo_out" / "report.html").read_text(encoding="utf-8")
    for section in ("Data quality", "Calendar", "Model quality", "Forecast"):
        assert f"<h2>{section}" in report
    forecast = (tmp_path / "demo_out" / "forecast.csv").read_text().splitlines()
    assert len(forecast) == 1 + 48 * 28
    info = json.loads((tmp_path / "info.json").read_text())
    assert info["series"] == 48  # 24 items x 2 stores
    assert info["freq"] == "D"
    assert info["tables"]["orders"]["rows"] > 0
