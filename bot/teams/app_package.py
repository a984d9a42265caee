"""The Teams app package: the manifest from `manifests/`, one localisation file per language
beyond English (all texts from the catalogues), the icons, zipped."""

from __future__ import annotations

import io
import json
import re
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

from babel import Locale
from babel.core import get_global

from bot.core.registry import Registry
from bot.i18n import ENGLISH, Language, languages, t
from bot.i18n.catalogue import catalogue

MANIFEST_FILE = "manifest.json"
MANIFEST_SCHEMA = "MicrosoftTeams.schema.json"
LOCALIZATION_SCHEMA = "MicrosoftTeams.Localization.schema.json"
# The app's name and description: catalogue key -> key in a localisation file.
APP_TEXTS = {"app.name.short": "name.short", "app.name.full": "name.full",
             "app.description.short": "description.short",
             "app.description.full": "description.full"}
ICON_FILES = ("color.png", "outline.png")
# Limits of the manifest schema (v1.24 and later): command lists per bot, commands per list,
# characters per command title and description. The schema test checks them again.
MAX_COMMAND_LISTS, MAX_COMMANDS, MAX_TITLE, MAX_DESCRIPTION = 3, 12, 128, 4000

_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_VERSION = re.compile(r"^(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
# Zip entries get a fixed time, so the same input always gives the same bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class PackageError(ValueError):
    """Input the app package cannot be built from; the message says what to fix."""


# Resource-specific permissions that make Teams deliver every message of a chat or channel.
CHAT_MESSAGE_PERMISSIONS = frozenset({"ChatMessage.Read.Chat", "ChannelMessage.Read.Group"})


def check_guid(value: str, option: str, meaning: str) -> str:
    """`value` as a lower-case GUID, or a PackageError naming `option`."""
    if not _GUID.match(value):
        raise PackageError(f"{option} must be a GUID like 00000000-0000-0000-0000-000000000000 "
                           f"({meaning}), not {value!r}")
    return value.lower()


def check_version(value: str) -> str:
    if not _VERSION.match(value):
        raise PackageError(f"--version must be three whole numbers, major.minor.patch (e.g. "
                           f"1.0.0), not {value!r}")
    return value


def build_manifest(*, app_id: str, bot_id: str, version: str, registry: Registry,
                   chat_messages: bool = True) -> dict[str, Any]:
    """manifest.json: the template with the ids, version and English texts filled in, one
    command list per bot scope, and a localisation file named for every other language; without
    `chat_messages`, without the permissions that deliver every chat message (commands then need
    the @mention). Assumes checked input (see `check_guid`, `check_version`)."""
    texts = {"{{" + key + "}}": t(key, ENGLISH) for key in APP_TEXTS}
    manifest: dict[str, Any] = _filled(
        _template("manifest.template.json"),
        {"{{appId}}": app_id, "{{botId}}": bot_id, "{{version}}": version, **texts})
    manifest["localizationInfo"]["additionalLanguages"] = [
        {"languageTag": language_tag(language), "file": localisation_file(language)}
        for language in languages() if language != ENGLISH]
    if not chat_messages:
        permissions = manifest["authorization"]["permissions"]
        permissions["resourceSpecific"] = [
            p for p in permissions["resourceSpecific"] if p["name"] not in CHAT_MESSAGE_PERMISSIONS]
    bot = manifest["bots"][0]
    scopes = bot["scopes"]
    if len(scopes) > MAX_COMMAND_LISTS:
        raise ValueError(f"{len(scopes)} bot scopes, but at most {MAX_COMMAND_LISTS} command lists")
    entries = command_entries(registry, "en")
    bot["commandLists"] = [{"scopes": [scope], "commands": entries} for scope in scopes]
    return manifest


def localisation_file(language: Language) -> str:
    return f"{language}.json"


def language_tag(language: Language) -> str:
    """The Teams language tag of a catalogue: its locale with a region (`de-de`), the region
    being CLDR's likely one where the locale names none (`ru` is `ru-ru`)."""
    locale = catalogue(language).locale
    region = locale.territory or _likely_region(locale.language)
    return f"{locale.language}-{region}".lower() if region else locale.language


def _likely_region(language: str) -> str | None:
    likely = get_global("likely_subtags").get(language)
    return Locale.parse(likely).territory if likely else None


def build_localisation(manifest: dict[str, Any], registry: Registry,
                       language: Language) -> dict[str, Any]:
    """<language>.json: the app's name and descriptions and every command list's titles and
    descriptions in `language` (Teams matches them to the manifest by position)."""
    schema = manifest["$schema"].replace(MANIFEST_SCHEMA, LOCALIZATION_SCHEMA)
    localised: dict[str, Any] = {"$schema": schema}
    localised |= {field: t(key, language) for key, field in APP_TEXTS.items()}
    entries = command_entries(registry, language)
    for list_index, _ in enumerate(manifest["bots"][0]["commandLists"]):
        for index, entry in enumerate(entries):
            prefix = f"bots[0].commandLists[{list_index}].commands[{index}]"
            localised[f"{prefix}.title"] = entry["title"]
            localised[f"{prefix}.description"] = entry["description"]
    return localised


def command_entries(registry: Registry, language: Language) -> list[dict[str, str]]:
    """Each chat command's name (what selecting it writes into the message box) and its help
    summary, as plain text in `language`."""
    commands = registry.commands
    if len(commands) > MAX_COMMANDS:
        raise ValueError(f"{len(commands)} chat commands, but a command list holds at most "
                         f"{MAX_COMMANDS}: choose which ones Teams suggests")
    entries = []
    for command in commands:
        title = command.word(language)
        description = _plain(t(f"{command.help_key}.summary", language), language)
        if len(title) > MAX_TITLE or len(description) > MAX_DESCRIPTION:
            raise ValueError(f"the {language} title or description of {command.name!r} is "
                             f"longer than {MAX_TITLE} or {MAX_DESCRIPTION} characters")
        entries.append({"title": title, "description": description})
    return entries


def package_files(*, app_id: str, bot_id: str, version: str, registry: Registry,
                  chat_messages: bool = True) -> dict[str, bytes]:
    """The package's files by name, after checking the input (PackageError if it is bad)."""
    app_id = check_guid(app_id, "--app-id", "the Teams app's id")
    bot_id = check_guid(bot_id, "--bot-id", "the bot's Microsoft App ID")
    version = check_version(version)
    manifest = build_manifest(app_id=app_id, bot_id=bot_id, version=version, registry=registry,
                              chat_messages=chat_messages)
    files = {MANIFEST_FILE: _json_bytes(manifest)}
    for language in languages():
        if language != ENGLISH:
            files[localisation_file(language)] = _json_bytes(
                build_localisation(manifest, registry, language))
    for name in ICON_FILES:
        files[name] = resources.files("manifests").joinpath(name).read_bytes()
    return files


def write_package(out: Path, *, app_id: str, bot_id: str, version: str, registry: Registry,
                  chat_messages: bool = True) -> None:
    """Write the zip (every file at its root) to `out`; nothing is written if the input is bad."""
    if out.is_dir() or not out.parent.is_dir():
        raise PackageError(f"--out must name a file in an existing folder, not '{out}'")
    files = package_files(app_id=app_id, bot_id=bot_id, version=version, registry=registry,
                          chat_messages=chat_messages)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            entry = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data)
    out.write_bytes(buffer.getvalue())


def _template(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        resources.files("manifests").joinpath(name).read_text(encoding="utf-8"))
    return data


def _filled(value: Any, fills: dict[str, str]) -> Any:
    """`value` with every placeholder in its strings replaced; a placeholder left over is a
    mistake in the template."""
    if isinstance(value, dict):
        return {key: _filled(item, fills) for key, item in value.items()}
    if isinstance(value, list):
        return [_filled(item, fills) for item in value]
    if isinstance(value, str):
        for placeholder, text in fills.items():
            value = value.replace(placeholder, text)
        if "{{" in value:
            raise ValueError(f"unknown placeholder in the manifest template: {value!r}")
    return value


def _plain(text: str, language: Language) -> str:
    """Help text without Markdown: command lists show text as it is. Bold words are quoted,
    with the language's quotation marks."""
    return _BOLD.sub(lambda match: t("help.quoted", language, text=match.group(1)), text)


def _json_bytes(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
