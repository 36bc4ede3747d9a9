"""Every docstring example in the public API runs (xdoctest), from the repository root."""

from __future__ import annotations

import pytest
import xdoctest

import exograph

from .conftest import ROOT


def test_public_api_is_importable_and_documented() -> None:
    for name in exograph.__all__:
        obj = getattr(exograph, name)
        if callable(obj) and not isinstance(obj, type):
            assert obj.__doc__, name
    for name in (
        "build",
        "build_graph",
        "read_card",
        "read_papers",
        "query",
        "write_turtle",
        "write_graphml",
        "write_html",
        "show",
        "to_networkx",
        "to_rdflib",
    ):
        assert ">>>" in (getattr(exograph, name).__doc__ or ""), name


def test_version_is_the_one_pyproject_declares() -> None:
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert exograph.__version__ == declared


def test_docstring_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    summary = xdoctest.doctest_module("exograph", command="all", argv=[], style="freeform", verbose=0)
    assert summary["n_failed"] == 0, summary
    assert summary["n_passed"] >= 12
