"""The help command, generated from the registry."""
