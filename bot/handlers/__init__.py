"""Handlers: gather with a unit of work, let the engine decide, return a Reply."""
