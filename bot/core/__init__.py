"""The shell's core: turns, the command registry, routing, services, group commit."""
