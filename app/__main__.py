"""`python -m app` starts the tray, like the `llm-link-tray` command."""

from app.tray import main

raise SystemExit(main())
