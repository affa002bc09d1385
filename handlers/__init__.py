"""Neutral chat events in, replies out: one function per command, reaction, message and action."""
