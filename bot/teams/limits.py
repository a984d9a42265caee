"""Sizes the Teams endpoint accepts, known without importing botbuilder (`resonanz serve`
refuses larger requests in the connection itself, bot/cli.py)."""

#: Largest activity body accepted, checked from Content-Length before a byte is read. The
#: largest real payloads: a meeting participant event names each person with ids, tenant, name
#: and role (about 400 bytes each; 350 people about 140 KB), a card submit with the longest
#: inputs (a breakout note of 1,000 and five of 200 characters) about 15 KB, a chat message at
#: Teams' 28 KB limit with its mentions. 256 KiB is 1.8 times the largest, a quarter of
#: aiohttp's default; tests/bot/test_body_limits.py pins the figures.
MAX_ACTIVITY_BYTES = 256 * 1024
