"""Fixtures of the live tests: record's, reused."""

from tests.record.conftest import recorder, workload_bin  # noqa: F401 - the fixtures
