"""Shared fixtures: small and named, built once per session where they are expensive."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ruhrkg.graph import build as building
from ruhrkg.graph import store as stores
from ruhrkg.mappings.parser import parse_text


@pytest.fixture(scope="session")
def source_text() -> str:
    """The packaged source document."""
    return building.packaged_source()


@pytest.fixture(scope="session")
def doc(source_text):
    """The parsed source document."""
    return parse_text(source_text)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    """A data directory with one finished build of the real document."""
    path = tmp_path_factory.mktemp("ruhrkg-data")
    building.build(data_dir=path)
    return path


@pytest.fixture(scope="session")
def built(data_dir) -> stores.Build:
    return stores.current(data_dir)


@pytest.fixture(scope="session")
def store(built):
    """The built store, opened read-only."""
    return built.open_store()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
