"""bench/slack_load.py in parts: settings, servers, client, phases, report and the orchestrator that runs them."""
