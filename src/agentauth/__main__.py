"""``python -m agentauth``."""

from agentauth.cli import main

raise SystemExit(main())
