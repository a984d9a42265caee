"""Teams shell of Resonanz: aiohttp app, activity parsing, commands, cards, outbound delivery."""
