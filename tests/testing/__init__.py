"""Helpers every test suite shares, imported as `tests.testing.<module>` (pytest's importlib mode
registers the tests package; nothing is put on sys.path): real git repositories (gitkit) and
task folders (tasks)."""
