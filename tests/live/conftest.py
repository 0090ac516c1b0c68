"""Fixtures of the live tests: record's, reused."""

from tests.record.conftest import recorder  # noqa: F401 - the fixture
