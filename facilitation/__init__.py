"""The facilitation engine: polls, anonymity keys, results disclosure. Pure Python."""
