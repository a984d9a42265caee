"""Background work: timers, retention."""
