"""Breakouts: commands, cards, presence, timers and report-back."""
