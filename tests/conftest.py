"""Shared fixtures: the seed card, small multi-card fixtures, and the corpora in ../shared/data."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED = next(SEEDS.glob("*.txt"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = Path(os.environ.get("EXOGRAPH_SHARED_DATA", ROOT.parent / "shared" / "data"))


def shared(relative: str) -> Path:
    """A file of ../shared/data, or skip the test with the reason."""
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.skip(f"corpus file {path} not present (clone without ../shared/data); set EXOGRAPH_SHARED_DATA")
    return path


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed built once per session with every output."""
    from exograph.pipeline import build
    from exograph.writers import OUTPUT_FORMATS

    out = tmp_path_factory.mktemp("seed-build")
    result = build([SEEDS], out, outputs=OUTPUT_FORMATS)
    assert result.ok
    return out


@pytest.fixture(scope="session")
def multi_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small multi-card fixture (tests/fixtures/cards) built once per session."""
    from exograph.pipeline import build
    from exograph.writers import OUTPUT_FORMATS

    out = tmp_path_factory.mktemp("multi-build")
    # Four papers cannot reach p < 0.05: keep every pair seen twice, so the co-occurrence outputs are exercised.
    result = build([FIXTURES / "cards"], out, outputs=OUTPUT_FORMATS, max_p=1.0)
    assert result.ok, result.failures
    return out


@pytest.fixture()
def seed_copy(tmp_path: Path) -> Path:
    """A writable copy of the seed card."""
    target = tmp_path / "cards" / SEED.name
    target.parent.mkdir()
    shutil.copy(SEED, target)
    return target


@pytest.fixture(scope="session")
def corpus_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """BioRED Dev and CDR Train (PubTator format) built once per session with every output: real relations,
    mention spans, co-occurrence and papers stating the same relation."""
    from exograph.pipeline import build
    from exograph.writers import OUTPUT_FORMATS

    inputs = [shared("biored/Dev.PubTator"), shared("cdr/CDR_TrainingSet.PubTator.txt")]
    out = tmp_path_factory.mktemp("corpus-build")
    result = build(inputs, out, outputs=OUTPUT_FORMATS)
    assert result.ok, result.failures
    return out


@pytest.fixture()
def server() -> Iterator[tuple[str, Any]]:
    """A real HTTP server on 127.0.0.1 with recorded PubTator3 answers, for one test (tests/http_server.py)."""
    from .http_server import recorded_server

    with recorded_server() as s:
        yield s
