from __future__ import annotations

from ctask_sync.cli.main import main

raise SystemExit(main())
