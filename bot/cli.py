"""The `resonanz` command: serve the bot, or run a simulated meeting."""

from __future__ import annotations

import argparse
import logging
import sys

from aiohttp import web

from bot.settings import Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="resonanz", description="Resonanz Teams bot")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the bot (settings from the environment)")
    commands.add_parser("demo", help="simulate a meeting of 25 people over real HTTP")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"resonanz: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    if args.command == "demo":
        from bot.demo import run_demo

        return run_demo()
    return serve(settings)


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # These log request details or SQL parameters at DEBUG; keep them quiet even then.
    for noisy in ("msrest", "msal", "urllib3", "botframework", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def serve(settings: Settings) -> int:
    from bot.app import create_app

    web.run_app(create_app(settings), host=settings.host, port=settings.port,
                print=lambda message: logging.getLogger("resonanz").info(message.strip()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
