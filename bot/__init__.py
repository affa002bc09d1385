"""The domain of Swarm: swarms, roster, matching, knowledge and metrics. No chat SDK, no SQL."""
