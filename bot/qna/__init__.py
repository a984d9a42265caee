"""The Q&A board: commands, cards, the live board, batched upvotes, the asking limit."""
