"""``python3 -m btsync_sim``: the vendor binary's command line."""

from .cli import main

raise SystemExit(main())
