from __future__ import annotations

from ctask_sync.cli import main

raise SystemExit(main())
