"""Constants for tests that use the emulator."""

from __future__ import annotations

# The token every test process sees in DATAROBOT_API_TOKEN: grep any output for it to prove it
# never leaks.
SENTINEL_TOKEN = "sentinel-TOKEN-7f3a9c"
