"""Doctor reads a board's files: the same fake roots as the platform tests."""

from tests.platform.conftest import nano_root, nvpmodel_maxn  # noqa: F401 (fixtures)
