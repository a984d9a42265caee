"""Anonymous live polls: commands, cards, the live shared card, batched ballots."""
