"""Writing benchmark results into BENCHMARKS.md: one section per benchmark, with the machine."""

from __future__ import annotations

import os
import platform
import re
import resource
import subprocess
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "BENCHMARKS.md"


def machine() -> str:
    """CPU model, cores, memory and Python: enough to compare runs across machines."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{mem_kb / 1024**2:.0f} GiB"
    except OSError:
        mem = "unknown memory"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    return (f"{cpu}, {os.cpu_count()} cores, {mem}, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}; commit {commit or 'n/a'}; {date.today()}")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_section(key: str, title: str, body: str, command: str) -> None:
    """Replace (or append) the section ``key`` of BENCHMARKS.md."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else (
        "# Benchmarks\n\nEach section is written by its script in `benchmarks/`; rerun it to "
        "refresh the figures. Never timed in unit tests.\n")
    section = (f"<!-- bench:{key} -->\n## {title}\n\nMachine: {machine()}\n\nRerun: `{command}`\n\n"
               f"{body}\n<!-- /bench:{key} -->")
    pattern = re.compile(rf"<!-- bench:{key} -->.*?<!-- /bench:{key} -->", re.S)
    text = pattern.sub(lambda _m: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def markdown_table(frame) -> str:
    """A data frame as a GitHub markdown table (no tabulate dependency)."""
    columns = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join("" if v is None else str(v) for v in row) + " |")
    return "\n".join(lines)
