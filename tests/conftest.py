"""Shared fixtures: the real data sets beside the project and small temporary stores."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test with the reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data set not available: {path} (a user's clone has no ../shared)")
    return path


@pytest.fixture
def shared_data() -> Path:
    """The ../shared/data folder; tests using it skip when the folder is absent."""
    return shared_path()
