"""The outer ring: chat platforms, the console, the CLI, settings; the composition root."""
