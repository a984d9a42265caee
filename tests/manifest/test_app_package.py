"""`resonanz manifest` builds a Teams app package that Microsoft's schemas accept."""

from __future__ import annotations

import copy
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.app import build_registry
from bot.cli import main
from bot.i18n import t
from bot.teams.app_package import command_entries
from manifests import icons
from tests.manifest.schemas import (
    LOCALIZATION_SCHEMA,
    MANIFEST_SCHEMA,
    SCHEMA_URL,
    errors,
    schemas_folder,
    validator,
)

APP_ID = "2b6a3c0e-1111-4a2b-9c3d-0123456789ab"
BOT_ID = "7d3f0a91-2222-4b5c-8d6e-abcdefabcdef"
# Resource-specific consent: exactly these, each for something Resonanz does (manifests/README.md).
# The schema does not check permission names, so a typo would only show in a tenant.
RSC = {
    "OnlineMeeting.ReadBasic.Chat": "meetingStart/meetingEnd in meeting chats",
    "OnlineMeetingParticipant.Read.Chat": "join/leave events and organizer/presenter roles",
    "ChannelMeeting.ReadBasic.Group": "meetingStart/meetingEnd in channel meetings",
    "ChannelMeetingParticipant.Read.Group": "roles (and presence) in channel meetings",
    "ChatMessage.Read.Chat": "commands without @mention in group and meeting chats",
    "ChannelMessage.Read.Group": "commands without @mention in channels",
}


@pytest.fixture(scope="module")
def schemas() -> Path:
    return schemas_folder()


def build(tmp_path: Path, *options: str) -> dict[str, bytes]:
    out = tmp_path / "resonanz.zip"
    assert main(["manifest", *options, "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return build(tmp_path_factory.mktemp("package"), "--app-id", APP_ID, "--bot-id", BOT_ID,
                 "--version", "2.3.4")


@pytest.fixture(scope="module")
def manifest(package: dict[str, bytes]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(package["manifest.json"])
    return data


@pytest.fixture(scope="module")
def german(package: dict[str, bytes]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(package["de.json"])
    return data


def manifest_errors(schemas: Path, manifest: dict[str, Any], version: str | None = None
                    ) -> list[str]:
    checker = validator(schemas, version or manifest["manifestVersion"], MANIFEST_SCHEMA)
    return errors(checker, manifest)


def rgba(image: Image.Image) -> list[tuple[int, ...]]:
    data = image.convert("RGBA").tobytes()
    return [tuple(data[index:index + 4]) for index in range(0, len(data), 4)]


def german_errors(schemas: Path, version: str, german: dict[str, Any]) -> list[str]:
    return errors(validator(schemas, version, LOCALIZATION_SCHEMA), german)


def test_the_package_holds_the_manifest_its_german_strings_and_both_icons_at_its_root(package):
    assert sorted(package) == ["color.png", "de.json", "manifest.json", "outline.png"]


def test_the_manifest_names_a_generally_available_schema_and_matches_it(schemas, manifest):
    version = manifest["manifestVersion"]
    assert re.fullmatch(r"1\.[0-9]+", version), "a numbered (GA) schema, not devPreview"
    assert manifest["$schema"] == SCHEMA_URL.format(version=version, name=MANIFEST_SCHEMA)
    assert manifest_errors(schemas, manifest) == []


def test_the_german_strings_match_the_localization_schema_of_the_same_version(
        schemas, manifest, german):
    version = manifest["manifestVersion"]
    assert german["$schema"] == SCHEMA_URL.format(version=version, name=LOCALIZATION_SCHEMA)
    assert german_errors(schemas, version, german) == []


def test_english_is_the_default_and_german_comes_from_de_json(manifest, package):
    info = manifest["localizationInfo"]
    assert info["defaultLanguageTag"] == "en-us"
    assert info["additionalLanguages"] == [{"languageTag": "de-de", "file": "de.json"}]
    assert all(entry["file"] in package for entry in info["additionalLanguages"])


def test_the_ids_and_version_are_the_ones_given(manifest):
    assert manifest["id"] == APP_ID
    assert manifest["version"] == "2.3.4"
    assert [bot["botId"] for bot in manifest["bots"]] == [BOT_ID]
    # RSC is granted to the Entra app registration behind the bot: that is the bot's app id.
    assert manifest["webApplicationInfo"] == {"id": BOT_ID, "resource": f"api://botid-{BOT_ID}"}


def test_the_bot_works_in_personal_chats_group_chats_and_teams(manifest):
    assert sorted(manifest["bots"][0]["scopes"]) == ["groupChat", "personal", "team"]


def test_every_scope_has_a_command_list_with_every_registered_command(manifest):
    bot = manifest["bots"][0]
    lists = bot["commandLists"]
    assert sorted(scope for entry in lists for scope in entry["scopes"]) == sorted(bot["scopes"])
    assert all(len(entry["scopes"]) == 1 for entry in lists), "one list per scope"
    names = [command.word("en") for command in build_registry().commands]
    for entry in lists:
        assert [command["title"] for command in entry["commands"]] == names


def test_english_descriptions_are_the_help_summaries_without_markdown(manifest):
    registry = build_registry()
    for entry in manifest["bots"][0]["commandLists"]:
        for command, shown in zip(registry.commands, entry["commands"], strict=True):
            summary = t(f"{command.help_key}.summary", "en")
            assert shown["description"] == re.sub(r"\*\*(.+?)\*\*", r"“\1”", summary)
            assert "*" not in shown["description"]


def test_every_command_has_a_german_title_and_description(manifest, german):
    registry = build_registry()
    for list_index, entry in enumerate(manifest["bots"][0]["commandLists"]):
        for index, command in enumerate(registry.commands):
            prefix = f"bots[0].commandLists[{list_index}].commands[{index}]"
            assert german[f"{prefix}.title"] == command.word("de")
            description = german[f"{prefix}.description"]
            assert description == command_entries(registry, "de")[index]["description"]
            assert description != entry["commands"][index]["description"]
            assert "*" not in description
    assert {"name.short", "name.full", "description.short", "description.full"} <= set(german)
    assert german["description.full"] != manifest["description"]["full"]


def test_resource_specific_consent_asks_for_exactly_the_permissions_used(manifest):
    granted = manifest["authorization"]["permissions"]["resourceSpecific"]
    assert sorted(p["name"] for p in granted) == sorted(RSC)
    assert {p["type"] for p in granted} == {"Application"}


def test_the_chat_message_permissions_can_be_left_out(tmp_path, schemas):
    lean = json.loads(build(tmp_path, "--app-id", APP_ID, "--without-chat-messages")
                      ["manifest.json"])
    granted = {p["name"] for p in lean["authorization"]["permissions"]["resourceSpecific"]}
    assert granted == set(RSC) - {"ChatMessage.Read.Chat", "ChannelMessage.Read.Group"}
    assert manifest_errors(schemas, lean) == []


def test_the_colour_icon_is_192_pixels_square_and_opaque(package):
    image = Image.open(io.BytesIO(package["color.png"]))
    assert image.format == "PNG"
    assert image.size == (192, 192)
    assert image.convert("RGBA").getextrema()[3] == (255, 255)


def test_the_outline_icon_is_32_pixels_of_white_on_full_transparency(package):
    image = Image.open(io.BytesIO(package["outline.png"]))
    assert image.format == "PNG"
    assert image.size == (32, 32)
    assert image.mode == "RGBA"
    pixels = rgba(image)
    alphas = [alpha for *_, alpha in pixels]
    assert min(alphas) == 0 and max(alphas) == 255
    assert sum(alpha == 0 for alpha in alphas) > len(pixels) // 2, "mostly transparent"
    assert all(pixel[:3] == (255, 255, 255) for pixel in pixels if pixel[3] > 0)


def test_the_accent_colour_is_the_colour_icon_background(manifest, package):
    assert manifest["accentColor"].lower() == "#{:02x}{:02x}{:02x}".format(*icons.ACCENT)
    corner = rgba(Image.open(io.BytesIO(package["color.png"])))[0]
    assert corner == (*icons.ACCENT, 255)


def test_the_icons_are_what_their_generator_draws():
    color = Image.open(Path(icons.__file__).with_name("color.png"))
    outline = Image.open(Path(icons.__file__).with_name("outline.png"))
    assert rgba(color) == [pixel for row in icons.color_pixels() for pixel in row]
    assert rgba(outline) == [pixel for row in icons.outline_pixels() for pixel in row]


def test_the_bot_id_defaults_to_the_app_id(tmp_path):
    manifest = json.loads(build(tmp_path, "--app-id", APP_ID)["manifest.json"])
    assert manifest["bots"][0]["botId"] == APP_ID
    assert manifest["webApplicationInfo"]["id"] == APP_ID
    assert manifest["version"] == "1.0.0"


def test_the_same_input_gives_the_same_zip(tmp_path):
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    for out in (first, second):
        assert main(["manifest", "--app-id", APP_ID, "--out", str(out)]) == 0
    assert first.read_bytes() == second.read_bytes()


def test_guids_are_accepted_in_capitals_and_written_in_lower_case(tmp_path):
    manifest = json.loads(build(tmp_path, "--app-id", APP_ID.upper())["manifest.json"])
    assert manifest["id"] == APP_ID


@pytest.mark.parametrize(("options", "complaint"), [
    (["--app-id", "resonanz"], "--app-id must be a GUID"),
    (["--app-id", APP_ID + "0"], "--app-id must be a GUID"),
    (["--app-id", APP_ID, "--bot-id", "28:" + BOT_ID], "--bot-id must be a GUID"),
    (["--app-id", APP_ID, "--version", "1.0"], "--version must be three whole numbers"),
    (["--app-id", APP_ID, "--version", "v1.0.0"], "--version must be three whole numbers"),
    (["--app-id", APP_ID, "--version", "1.02.0"], "--version must be three whole numbers"),
])
def test_bad_input_is_refused_with_exit_code_2_and_nothing_written(tmp_path, capsys, options,
                                                                   complaint):
    out = tmp_path / "resonanz.zip"
    assert main(["manifest", *options, "--out", str(out)]) == 2
    assert complaint in capsys.readouterr().err
    assert not out.exists()


def test_an_out_path_in_a_missing_folder_is_refused(tmp_path, capsys):
    out = tmp_path / "missing" / "resonanz.zip"
    assert main(["manifest", "--app-id", APP_ID, "--out", str(out)]) == 2
    assert "--out must name a file in an existing folder" in capsys.readouterr().err


def test_the_app_id_is_required(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["manifest"])
    assert stopped.value.code == 2
    assert "--app-id" in capsys.readouterr().err


@pytest.mark.parametrize("breakage", [
    "long short name", "no developer", "bot id not a GUID", "thirteen commands",
    "unknown scope", "wrong manifest version",
])
def test_the_schema_check_catches_a_broken_manifest(schemas, manifest, breakage):
    broken = copy.deepcopy(manifest)
    commands = broken["bots"][0]["commandLists"][0]["commands"]
    if breakage == "long short name":
        broken["name"]["short"] = "Resonanz for every meeting we have"
    elif breakage == "no developer":
        del broken["developer"]
    elif breakage == "bot id not a GUID":
        broken["bots"][0]["botId"] = "resonanz"
    elif breakage == "thirteen commands":
        commands.extend([commands[0]] * (13 - len(commands)))
    elif breakage == "unknown scope":
        broken["bots"][0]["scopes"].append("meetings")
    else:
        broken["manifestVersion"] = "devPreview"
    assert manifest_errors(schemas, broken, version=manifest["manifestVersion"])


@pytest.mark.parametrize("breakage", ["unknown key", "empty short name", "command 13"])
def test_the_schema_check_catches_broken_german_strings(schemas, manifest, german, breakage):
    broken = dict(german)
    if breakage == "unknown key":
        broken["name.kurz"] = "Resonanz"
    elif breakage == "empty short name":
        broken["name.short"] = " "
    else:
        broken["bots[0].commandLists[0].commands[12].title"] = "zu viel"
    assert german_errors(schemas, manifest["manifestVersion"], broken)
