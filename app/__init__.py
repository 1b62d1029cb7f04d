"""llm-link-tray: a desktop tray app that keeps llm-link running, healthy and configured."""

__version__ = "0.1.0"
