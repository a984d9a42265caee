"""`python -m bot` serves the bot, like `resonanz serve`."""

import sys

from bot.cli import main

sys.exit(main(sys.argv[1:] or ["serve"]))
