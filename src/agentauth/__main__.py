"""``python -m agentauth``."""

from agentauth.launch import main

raise SystemExit(main())
