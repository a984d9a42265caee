"""Snapshots of the breakout cards in English and German, plus the facts about each state that
matter most (so a snapshot update cannot silently lose them). The rules every card keeps are
checked over these states in test_card_invariants; the parts of a town hall's assignment, which
come as several cards, are checked against the same rules here."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest

from bot.app import build_registry
from bot.breakouts.cards import (
    MAX_NAMES_LISTED,
    MAX_PREVIEW_GROUPS,
    DraftView,
    GroupView,
    render_draft,
)
from bot.cards.elements import verbs_in
from bot.i18n import Language, t
from facilitation.breakout_rounds import (
    EXTENSION_MINUTES,
    MAX_DURATION_MINUTES,
    MAX_NOTE_CHARS,
    MAX_POINT_CHARS,
    Source,
)
from tests.cards import states
from tests.cards.snapshot import SNAPSHOT_DIR, assert_snapshot
from tests.cards.states import (
    BREAKOUT_TOPICS,
    MALICIOUS,
    ROUND_ID,
    Case,
    elements_of_type,
    texts_of,
    walk,
)
from tests.cards.test_card_invariants import TEAMS_MESSAGE_LIMIT, misplaced_user_text, wire_bytes

language = pytest.mark.parametrize("language", states.LANGUAGES)

BREAKOUT_BUILDERS = [build for build in states.BUILDERS if build.__name__.startswith("breakout_")]
ROUND = {"breakout": ROUND_ID}
TIME = "{{TIME(" + states.ENDS_AT_ISO + ")}}"


def snap(case: Case) -> Case:
    assert_snapshot(case.id, case.card)
    return case


@dataclass(frozen=True)
class Block:
    """One group as a card lists it: title, topic, the members line and the roles line."""

    title: str
    topic: str | None
    members: str
    roles: str | None


def blocks(card: dict[str, Any]) -> list[Block]:
    """The group blocks of a draft preview, an assignment or a private message, in order."""
    found = []
    for container in elements_of_type(card, "Container"):
        items = container["items"]
        if not all(item["type"] == "RichTextBlock" for item in items) or len(items) not in (2, 3):
            continue
        heading = [run["text"] for run in items[0]["inlines"]]
        if not re.fullmatch(r"(Group|Gruppe) \d+", heading[0]):
            continue
        topic = heading[1].removeprefix(" · ") if len(heading) > 1 else None
        members, = (run["text"] for run in items[1]["inlines"])
        roles = items[2]["inlines"][0]["text"] if len(items) == 3 else None
        found.append(Block(heading[0], topic, members, roles))
    return found


def expected_blocks(groups: tuple[GroupView, ...], language: Language) -> list[Block]:
    return [Block(t("breakout.group", language, number=group.number), group.topic,
                  ", ".join(group.members),
                  f"{t('breakout.facilitator', language, name=group.facilitator)} · "
                  f"{t('breakout.presenter', language, name=group.presenter)}")
            for group in groups]


def runs(card: dict[str, Any]) -> list[list[str]]:
    """The texts of the runs of each RichTextBlock, in order."""
    return [[run["text"] for run in block["inlines"]]
            for block in elements_of_type(card, "RichTextBlock")]


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {element["id"]: element for element in elements_of_type(
        card, "Input.Text", "Input.Number", "Input.ChoiceSet", "Input.Toggle")}


def card_actions(card: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(verb or action type, title, data) of the actions at the bottom of the card."""
    return [(action.get("verb", action["type"]), action["title"], action.get("data"))
            for action in card.get("actions", [])]


def attention_runs(card: dict[str, Any]) -> list[str]:
    return [run["text"] for run in elements_of_type(card, "TextRun")
            if run.get("color") == "Attention"]


def draft_actions(language: Language) -> list[tuple[str, str, dict[str, Any]]]:
    return [("breakout.update", t("breakout.update", language), ROUND),
            ("breakout.publish", t("breakout.publish", language), ROUND),
            ("breakout.join", t("breakout.join", language), ROUND),
            ("breakout.cancel", t("breakout.cancel", language), ROUND)]


# ---------------------------------------------------------------------------- the form


@language
def test_the_empty_form_asks_for_groups_or_a_group_size_topics_and_a_duration(language):
    case = snap(states.breakout_form_empty(language))
    assert texts_of(case.card, "TextBlock") == [t("breakout.form_title", language)]
    assert attention_runs(case.card) == []
    fields = inputs(case.card)
    assert list(fields) == ["rz_split", "rz_number", "rz_topics", "rz_minutes"]
    split = fields["rz_split"]
    assert split["value"] == "groups" and split["style"] == "compact"
    assert [(c["title"], c["value"]) for c in split["choices"]] == [
        (t("breakout.split.groups", language), "groups"),
        (t("breakout.split.size", language), "size")]
    assert (fields["rz_number"]["value"], fields["rz_number"]["min"]) == (4, 1)
    assert fields["rz_topics"]["isMultiline"] is True and "value" not in fields["rz_topics"]
    assert fields["rz_minutes"]["max"] == MAX_DURATION_MINUTES == 480
    assert "value" not in fields["rz_minutes"]
    assert card_actions(case.card) == [("breakout.create", t("breakout.prepare", language),
                                        {"for": states.FORM_OWNER})]
    assert case.card["actions"][0]["style"] == "positive"


@language
def test_the_form_comes_back_with_the_error_above_its_fields(language: Language):
    case = snap(states.breakout_form_error(language))
    error = {"en": "The duration must be between 1 and 480 minutes.",
             "de": "Die Dauer muss zwischen 1 und 480 Minuten liegen."}[language]
    assert attention_runs(case.card) == [error]
    assert case.card["body"][1]["inlines"][0]["weight"] == "Bolder"
    empty = states.breakout_form_empty(language).card
    assert case.card["body"][:1] + case.card["body"][2:] == empty["body"]
    assert case.card["actions"] == empty["actions"]


# ---------------------------------------------------------------------------- drafts


@language
def test_a_draft_from_the_roster_previews_5_groups_for_23_people_with_topics_and_roles(language):
    case = snap(states.breakout_draft_roster(language))
    team = states.team_round(language)
    # The source line counts every member of the chat (25), including the 2 left out.
    assert texts_of(case.card, "TextBlock")[:2] == [
        t("breakout.draft_title", language), t("breakout.source.roster", language, count=25)]
    assert {"en": "25 members of this chat",
            "de": "25 Mitglieder dieses Chats"}[language] == texts_of(case.card, "TextBlock")[1]
    taking_part, left_out = runs(case.card)[:2]
    assert taking_part == [t("breakout.included", language, count=23) + " ",
                           ", ".join(team.included)]
    assert left_out == [t("breakout.excluded_list", language, count=2) + " ",
                        ", ".join(team.excluded)]
    assert t("breakout.preview", language) in texts_of(case.card, "TextBlock")
    shown = blocks(case.card)
    assert shown == expected_blocks(team.groups, language)
    assert [block.title for block in shown] == [
        t("breakout.group", language, number=number) for number in range(1, 6)]
    assert [block.topic for block in shown] == list(BREAKOUT_TOPICS[language])
    assert sorted(len(group.members) for group in team.groups) == [4, 4, 5, 5, 5]
    everyone = [name for group in team.groups for name in group.members]
    assert sorted(everyone) == sorted(team.included) and len(everyone) == 23
    prefix = {"en": ("facilitates: ", " · presents: "),
              "de": ("moderiert: ", " · präsentiert: ")}[language]
    assert all(block.roles and block.roles.startswith(prefix[0]) and prefix[1] in block.roles
               for block in shown)
    for group in team.groups:
        assert {group.facilitator, group.presenter} <= set(group.members)
        assert group.facilitator != group.presenter


@language
def test_the_roster_draft_keeps_the_manager_apart_from_her_team_and_the_buddies_together(
        language: Language):
    groups = states.team_round(language).groups
    group_of = {name: group.number for group in groups for name in group.members}
    assert len({group_of[name] for name in states.BREAKOUT_APART[language]}) == 3
    assert len({group_of[name] for name in states.BREAKOUT_TOGETHER[language]}) == 1
    assert not set(states.team_round(language).excluded) & set(group_of)


@language
def test_the_draft_fields_come_prefilled_with_what_the_moderators_chose(language: Language):
    case = states.breakout_draft_roster(language)
    fields = inputs(case.card)
    assert list(fields) == ["rz_exclude", "rz_apart", "rz_together", "rz_topics", "rz_minutes"]
    expected = {
        "en": ("Hannah Wright, Robert Fischer", "Daniel Hughes, Margaret Collins, Priya Patel",
               "Aisha Khan, Tom Baker"),
        "de": ("Jürgen Krause, Özlem Yıldız", "Jonas Müller, Katrin Vogel, Lea Schmidt",
               "Mia Wagner, Noah Weber")}[language]
    assert (fields["rz_exclude"]["value"], fields["rz_apart"]["value"],
            fields["rz_together"]["value"]) == expected
    assert fields["rz_topics"]["value"] == "\n".join(BREAKOUT_TOPICS[language])
    assert fields["rz_topics"]["isMultiline"] is True
    assert (fields["rz_minutes"]["value"], fields["rz_minutes"]["max"]) == (20, 480)
    assert fields["rz_exclude"]["label"] == t("breakout.exclude", language)
    assert fields["rz_apart"]["placeholder"] == t("breakout.sets_placeholder", language)
    assert card_actions(case.card) == draft_actions(language)
    assert case.card["actions"][1]["style"] == "positive"


@language
def test_a_draft_from_the_meeting_presence_previews_3_groups_without_topics(language):
    case = snap(states.breakout_draft_present(language))
    present = [member.name for member in states.present_members(language)]
    assert texts_of(case.card, "TextBlock")[1] == {
        "en": "9 people present in the meeting", "de": "9 Leute in der Besprechung"}[language]
    assert runs(case.card)[0] == [t("breakout.included", language, count=9) + " ",
                                  ", ".join(present)]
    assert not any(t("breakout.excluded_list", language, count=0) in run[0]
                   for run in runs(case.card))
    shown = blocks(case.card)
    assert len(shown) == 3 and all(block.topic is None for block in shown)
    assert sorted(len(block.members.split(", ")) for block in shown) == [3, 3, 3]
    fields = inputs(case.card)
    assert not [name for name, field in fields.items() if "value" in field]
    assert card_actions(case.card) == draft_actions(language)


@language
def test_an_opt_in_draft_without_anyone_says_why_there_is_no_preview_and_offers_im_in(language):
    case = snap(states.breakout_draft_opt_in_empty(language))
    assert texts_of(case.card, "TextBlock")[1] == {
        "en": "0 people who clicked “I'm in”",
        "de": "0 Leute, die „Ich bin dabei“ geklickt haben"}[language]
    problem, = attention_runs(case.card)
    assert problem == t("breakout.too_few_people", language, people=0)
    assert problem.startswith({"en": "Breakouts need at least 2 people; 0 take part so far.",
                               "de": "Gruppen brauchen mindestens 2 Leute; bisher machen 0 "
                                     "mit."}[language])
    assert runs(case.card)[1] == [t("breakout.included", language, count=0) + " ", ""]
    assert blocks(case.card) == []
    assert t("breakout.preview", language) not in texts_of(case.card, "TextBlock")
    assert ("breakout.join", t("breakout.join", language), ROUND) in card_actions(case.card)
    assert {"en": "I'm in", "de": "Ich bin dabei"}[language] == t("breakout.join", language)


@language
def test_the_problem_line_of_a_draft_shows_no_markdown_asterisks(language: Language):
    case = states.breakout_draft_opt_in_empty(language)
    assert [text for text in attention_runs(case.card) if "**" in text] == []


@language
def test_the_moderators_own_draft_confirms_the_update_in_a_notice_line(language: Language):
    case = snap(states.breakout_draft_updated_notice(language))
    notice = case.card["body"][2]
    assert notice["type"] == "TextBlock" and notice["text"] == t("breakout.updated", language)
    assert (notice["color"], notice["weight"]) == ("Good", "Bolder")
    shared = states.breakout_draft_roster(language).card
    assert case.card["body"][:2] + case.card["body"][3:] == shared["body"]
    assert case.card["actions"] == shared["actions"]


@language
def test_the_person_who_clicked_im_in_sees_the_confirmation_and_the_new_preview(language):
    case = snap(states.breakout_draft_opt_in_joined(language))
    assert texts_of(case.card, "TextBlock")[1:3] == [
        t("breakout.source.opt_in", language, count=4), t("breakout.joined", language)]
    assert len(blocks(case.card)) == 2 and attention_runs(case.card) == []


@language
def test_a_draft_of_a_town_hall_lists_60_names_and_12_groups_and_counts_the_rest(language):
    case = states.breakout_town_hall_draft(language)
    names = states.town_hall_names(language)
    taking_part = runs(case.card)[0]
    assert taking_part[1].startswith(", ".join(names[:MAX_NAMES_LISTED]))
    assert taking_part[1].endswith(" " + t("breakout.and_more", language, count=940))
    assert len(blocks(case.card)) == MAX_PREVIEW_GROUPS == 12
    assert t("breakout.more_groups", language, count=188) in texts_of(case.card, "TextBlock")
    assert wire_bytes(case.card) < TEAMS_MESSAGE_LIMIT


# ---------------------------------------------------------------------------- the assignment


def assignment_actions(language: Language) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [("breakout.report_form", t("breakout.report_button", language), ROUND),
            ("breakout.extend", t("breakout.extend", language, minutes=EXTENSION_MINUTES),
             ROUND),
            ("breakout.end", t("breakout.end", language), ROUND),
            ("breakout.reconvene", t("breakout.reconvene", language), ROUND),
            ("breakout.copy", t("breakout.copy", language), ROUND),
            ("Action.ShowCard", t("breakout.broadcast", language), None)]


@language
def test_the_assignment_lists_the_groups_with_the_end_time_in_the_readers_time_zone(language):
    case = snap(states.breakout_assignment_timer(language))
    texts = texts_of(case.card, "TextBlock")
    assert texts[:2] == [t("breakout.assignment_title", language, round=1),
                         t("breakout.ends_at", language, time=TIME)]
    assert texts[1] == {"en": f"Ends at {TIME}.", "de": f"Endet um {TIME}."}[language]
    assert TIME == "{{TIME(2024-05-14T10:20:00Z)}}"
    assert not any(text.startswith(("Part ", "Teil ")) for text in texts)
    assert blocks(case.card) == expected_blocks(states.team_round(language).groups, language)
    assert blocks(case.card) == blocks(states.breakout_draft_roster(language).card)


@language
def test_the_assignment_gives_moderators_every_action_for_the_running_round(language):
    case = states.breakout_assignment_timer(language)
    assert card_actions(case.card) == assignment_actions(language)
    assert {"en": ["Submit results", "+5 minutes", "End now", "Reconvene",
                   "List for Teams rooms", "Message all groups"],
            "de": ["Ergebnisse einreichen", "+5 Minuten", "Jetzt beenden", "Zurück ins Plenum",
                   "Liste für Teams-Räume", "Nachricht an alle Gruppen"]}[language] == [
        title for _, title, _ in card_actions(case.card)]
    assert case.card["actions"][0]["style"] == "positive"


@language
def test_message_all_groups_opens_a_message_field_whose_send_carries_the_round(language):
    case = states.breakout_assignment_timer(language)
    show_card = case.card["actions"][-1]
    form = show_card["card"]
    assert form["type"] == "AdaptiveCard" and form["version"] == "1.5"
    message, = form["body"]
    assert (message["type"], message["id"], message["label"]) == (
        "Input.Text", "rz_message", t("breakout.broadcast_label", language))
    assert message["isMultiline"] is True and message["maxLength"] == 1000
    assert card_actions(form) == [("breakout.broadcast", t("breakout.broadcast_send", language),
                                   ROUND)]


@language
def test_an_assignment_without_a_timer_says_there_is_no_time_limit(language: Language):
    case = snap(states.breakout_assignment_no_timer(language))
    texts = texts_of(case.card, "TextBlock")
    assert texts[:2] == [t("breakout.assignment_title", language, round=2),
                         t("breakout.no_timer", language)]
    assert texts[1] == {"en": "No time limit.", "de": "Ohne Zeitlimit."}[language]
    assert "{{TIME(" not in json.dumps(case.card)
    assert len(blocks(case.card)) == 3
    assert card_actions(case.card) == assignment_actions(language)


# ---------------------------------------------------------------------------- the town hall


@language
def test_a_town_hall_of_1000_in_200_groups_comes_as_several_cards_under_28_kb(language):
    cards = states.town_hall_assignment(language)
    groups = states.town_hall_groups(language)
    assert len(groups) == states.TOWN_HALL_GROUPS == 200
    assert sum(len(group.members) for group in groups) == states.TOWN_HALL_PEOPLE == 1000
    assert max(map(len, states.town_hall_names(language))) > 75
    assert len(cards) > 1
    assert [wire_bytes(card) for card in cards if wire_bytes(card) >= TEAMS_MESSAGE_LIMIT] == []


@language
def test_only_the_first_part_of_a_town_hall_assignment_carries_the_buttons_and_the_timer(
        language: Language):
    cards = states.town_hall_assignment(language)
    assert card_actions(cards[0]) == assignment_actions(language)
    assert all("actions" not in card and verbs_in(card) == set() for card in cards[1:])
    timer = t("breakout.ends_at", language, time=TIME)
    assert [timer in texts_of(card, "TextBlock") for card in cards] == \
        [True] + [False] * (len(cards) - 1)


@language
def test_each_part_of_a_town_hall_assignment_says_which_part_it_is(language: Language):
    cards = states.town_hall_assignment(language)
    for number, card in enumerate(cards, start=1):
        heading, part = texts_of(card, "TextBlock")[:2]
        assert heading == t("breakout.assignment_title", language, round=1)
        assert part == t("breakout.part", language, part=number, parts=len(cards))
        assert part == {"en": f"Part {number} of {len(cards)}",
                        "de": f"Teil {number} von {len(cards)}"}[language]


@language
def test_the_parts_of_a_town_hall_assignment_together_list_every_group_exactly_once(language):
    cards = states.town_hall_assignment(language)
    shown = [block for card in cards for block in blocks(card)]
    assert shown == expected_blocks(states.town_hall_groups(language), language)
    assert all(blocks(card) for card in cards)


@language
def test_every_part_of_a_town_hall_assignment_keeps_the_rules_of_every_card(language):
    verbs = build_registry().verbs
    members = states.town_hall_members(language)
    for card in states.town_hall_assignment(language):
        case = Case("breakout_town_hall_part", language, card,
                    user_texts=tuple(member.name for member in members))
        assert (card["type"], card["version"]) == ("AdaptiveCard", "1.5")
        assert json.loads(json.dumps(card, allow_nan=False)) == card
        assert verbs_in(card) <= verbs
        assert misplaced_user_text(case) == []
        assert not [element for element in elements_of_type(card, "TextBlock")
                    if any(member.name in element["text"] for member in members)]
        encoded = json.dumps(card, ensure_ascii=False)
        assert not [member.id for member in members if member.id in encoded]


# ---------------------------------------------------------------------------- private messages


@language
def test_the_presenter_is_told_their_group_and_can_submit_the_results(language: Language):
    case = snap(states.breakout_private_presenter(language))
    group = states.private_group(language)
    assert texts_of(case.card, "TextBlock") == [
        t("breakout.your_group", language, number=2), t("breakout.you_present", language)]
    assert texts_of(case.card, "TextBlock")[0] == {"en": "You are in group 2",
                                                   "de": "Du bist in Gruppe 2"}[language]
    assert blocks(case.card) == expected_blocks((group,), language)
    assert card_actions(case.card) == [
        ("breakout.report_form", t("breakout.report_button", language), ROUND)]


@language
def test_a_participant_who_does_not_present_gets_their_group_without_buttons(language):
    case = snap(states.breakout_private_member(language))
    assert texts_of(case.card, "TextBlock") == [t("breakout.your_group", language, number=2)]
    assert blocks(case.card) == expected_blocks((states.private_group(language),), language)
    assert "actions" not in case.card and verbs_in(case.card) == set()


# ---------------------------------------------------------------------------- copy list


@language
def test_the_copy_list_has_one_line_per_group_for_teams_breakout_rooms(language: Language):
    case = snap(states.breakout_copy_list(language))
    assert texts_of(case.card, "TextBlock") == [t("breakout.copy_title", language)]
    field, = elements_of_type(case.card, "Input.Text")
    assert (field["id"], field["label"], field["isMultiline"]) == (
        "rz_list", t("breakout.copy_hint", language), True)
    lines = field["value"].split("\n")
    group = {"en": "Group", "de": "Gruppe"}[language]
    assert lines == [f"{group} {g.number}: {', '.join(g.members)}"
                     for g in states.team_round(language).groups]
    assert all(re.fullmatch(rf"{group} \d: [^,:]+(, [^,:]+)+", line) for line in lines)
    assert "actions" not in case.card


# ---------------------------------------------------------------------------- report-back


def point_fields(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [inputs(card)[f"rz_point{number}"] for number in (1, 2, 3)]


@language
def test_the_empty_report_form_takes_three_key_points_and_a_note(language: Language):
    case = snap(states.breakout_report_form_empty(language))
    assert texts_of(case.card, "TextBlock") == [t("breakout.report_title", language, number=2)]
    assert runs(case.card)[0] == [BREAKOUT_TOPICS[language][1]]
    assert attention_runs(case.card) == []
    assert list(inputs(case.card)) == ["rz_point1", "rz_point2", "rz_point3", "rz_note"]
    assert [(f["label"], f["maxLength"]) for f in point_fields(case.card)] == [
        (t("breakout.point", language, number=n), MAX_POINT_CHARS) for n in (1, 2, 3)]
    note = inputs(case.card)["rz_note"]
    assert (note["isMultiline"], note["maxLength"]) == (True, MAX_NOTE_CHARS)
    assert not [f for f in inputs(case.card).values() if "value" in f]
    assert card_actions(case.card) == [("breakout.report", t("breakout.submit", language),
                                        {"breakout": ROUND_ID, "group": 2})]


@language
def test_the_report_form_comes_back_with_the_error_and_everything_typed(language: Language):
    case = snap(states.breakout_report_form_error(language))
    points, note = states.REPORT_TYPED[language]
    assert attention_runs(case.card) == [t("breakout.point_too_long", language, limit=200)]
    # What was typed comes back, cut to what each field accepts (key points: 200).
    assert [field["value"] for field in point_fields(case.card)] == [p[:200] for p in points]
    assert inputs(case.card)["rz_note"]["value"] == note
    assert card_actions(case.card) == card_actions(
        states.breakout_report_form_empty(language).card)


# ---------------------------------------------------------------------------- results wall


def wall_entries(card: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return [container["items"] for container in elements_of_type(card, "Container")]


@language
def test_the_results_wall_shows_every_group_and_marks_the_one_without_results(language):
    case = snap(states.breakout_results_wall(language))
    texts = texts_of(case.card, "TextBlock")
    assert texts[:2] == [t("breakout.wall_title", language, round=1),
                         t("breakout.wall_counts", language, submitted=2, groups=3)]
    assert texts[1] == {"en": "2 of 3 groups submitted results.",
                        "de": "2 von 3 Gruppen haben Ergebnisse eingereicht."}[language]
    groups = states.retro_groups(language)
    first, second, third = wall_entries(case.card)
    for items, group in zip((first, second, third), groups, strict=True):
        heading = [run["text"] for run in items[0]["inlines"]]
        assert heading == [t("breakout.group", language, number=group.number),
                           f" · {group.topic}",
                           " · " + t("breakout.presented_by", language, name=group.presenter)]
    assert [item.get("text") for item in second[1:]] == [t("breakout.no_report", language)]
    assert second[1]["color"] == "Warning"
    assert t("breakout.no_report", language) == {"en": "No results submitted.",
                                                 "de": "Keine Ergebnisse eingereicht."}[language]
    (points_1, note_1), (points_3, _) = states.RETRO_REPORTS[language].values()
    assert [item["inlines"][0]["text"] for item in first[1:]] == [
        *(f"• {point}" for point in points_1), note_1]
    assert first[-1]["inlines"][0]["isSubtle"] is True
    assert [item["inlines"][0]["text"] for item in third[1:]] == [f"• {points_3[0]}"]
    assert "actions" not in case.card


# ---------------------------------------------------------------------------- hostile text


MALICIOUS_PLACES = {
    "breakout_malicious_draft": {"TextRun.text", "Input.Text.value"},
    "breakout_malicious_assignment": {"TextRun.text"},
    "breakout_malicious_private": {"TextRun.text"},
    "breakout_malicious_copy_list": {"Input.Text.value"},
    "breakout_malicious_report_form": {"TextRun.text", "Input.Text.value"},
    "breakout_malicious_results_wall": {"TextRun.text"},
}


@pytest.mark.parametrize(("build", "language"), [
    pytest.param(build, language, id=f"{build.__name__}-{language}")
    for build in BREAKOUT_BUILDERS if build.__name__ in MALICIOUS_PLACES
    for language in states.LANGUAGES])
def test_malicious_names_topics_points_and_notes_appear_only_as_plain_runs_or_values(build,
                                                                                   language):
    case = build(language)
    places = {f"{parent.get('type')}.{key}" for _, parent, key, value in walk(case.card)
              if isinstance(value, str) and ("evil.example" in value or "<at>" in value)}
    assert places == MALICIOUS_PLACES[case.state]
    hostile = [run for run in elements_of_type(case.card, "TextRun")
               if "evil.example" in run["text"] or "<at>" in run["text"]]
    assert all(set(run) <= {"type", "text", "weight", "isSubtle", "color"} for run in hostile)
    assert not [text for text in texts_of(case.card, "TextBlock") if "evil" in text]


@language
def test_a_malicious_topic_name_point_and_note_each_reach_the_card_unchanged(language):
    group_runs = [run for block in runs(states.breakout_malicious_assignment(language).card)
                  for run in block]
    assert f" · {MALICIOUS}" in group_runs  # the topic
    assert f"{states.ANNA}, {states.JONAS}, {MALICIOUS}" in group_runs  # a name
    assert " · ".join([t("breakout.facilitator", language, name=states.JONAS),
                       t("breakout.presenter", language, name=MALICIOUS)]) in group_runs
    wall = [run for block in runs(states.breakout_malicious_results_wall(language).card)
            for run in block]
    assert f"• {MALICIOUS}" in wall and MALICIOUS in wall  # a key point and the note
    form = inputs(states.breakout_malicious_report_form(language).card)
    assert (form["rz_point1"]["value"], form["rz_note"]["value"]) == (MALICIOUS, MALICIOUS)
    copy_list = inputs(states.breakout_malicious_copy_list(language).card)["rz_list"]["value"]
    assert copy_list.split("\n")[0].endswith(f": {states.ANNA}, {states.JONAS}, {MALICIOUS}")


# ---------------------------------------------------------------------------- every card


@pytest.mark.parametrize("build", BREAKOUT_BUILDERS, ids=lambda build: build.__name__)
@language
def test_the_breakout_actions_send_the_round_and_nothing_the_inputs_could_overwrite(build,
                                                                                   language):
    case = build(language)
    for action in elements_of_type(case.card, "Action.Execute"):
        assert action["verb"].startswith("breakout.")
        if action["verb"] == "breakout.create":
            assert action["data"] == {"for": states.FORM_OWNER}  # whom the form is posted for
        elif action["verb"] == "breakout.report":
            assert action["data"] == {"breakout": ROUND_ID, "group": 2 if "malicious" not in
                                      case.state else 1}
        elif action["verb"] == "breakout.copy" and "part" in action["data"]:
            assert action["data"] == {**ROUND, "part": 1}  # the next part of a long list
        else:
            assert action["data"] == ROUND


# ---------------------------------------------------------------------------- wording


def _source_present_of_one(language: Language) -> str:
    member = states.present_members(language)[:1]
    view = DraftView(ROUND_ID, Source.PRESENT, (member[0].name,), (), (),
                     problem=states.draft_problem(language, 1, 2))
    return texts_of(render_draft(view, language=language), "TextBlock")[1]


def _source_opt_in_of_one(language: Language) -> str:
    member = states.present_members(language)[:1]
    view = DraftView(ROUND_ID, Source.OPT_IN, (member[0].name,), (), (),
                     problem=states.draft_problem(language, 1, 2))
    return texts_of(render_draft(view, language=language), "TextBlock")[1]


def _too_few_of_one(language: Language) -> str:
    return states.draft_problem(language, 1, 2)


def _one_more_group(language: Language) -> str:
    members = states.breakout_members(language, states.town_hall_names(language)[:52])
    view = DraftView(ROUND_ID, Source.PRESENT, tuple(m.name for m in members), (),
                     states.planned_groups(members, 13))
    return texts_of(render_draft(view, language=language), "TextBlock")[-1]


@pytest.mark.parametrize(("render", "language", "plural"), [
    pytest.param(_source_present_of_one, "en", "1 people", id="one-present-en"),
    pytest.param(_source_present_of_one, "de", "1 Leute", id="one-present-de"),
    pytest.param(_source_opt_in_of_one, "en", "1 people", id="one-opted-in-en"),
    pytest.param(_source_opt_in_of_one, "de", "1 Leute", id="one-opted-in-de"),
    pytest.param(_too_few_of_one, "en", "1 take part", id="one-takes-part-en"),
    pytest.param(_too_few_of_one, "de", "machen 1 mit", id="one-takes-part-de"),
    pytest.param(_one_more_group, "en", "1 more groups", id="one-more-group-en"),
    pytest.param(_one_more_group, "de", "1 weitere Gruppen", id="one-more-group-de"),
])
def test_a_count_of_one_is_written_in_the_singular(render, language: Language, plural: str):
    text = render(language)
    assert "1" in text and plural not in text


# ---------------------------------------------------------------------------- bookkeeping


def test_every_breakout_state_to_snapshot_has_a_reviewed_snapshot_in_both_languages():
    expected = {f"{build(language).id}.json" for build in BREAKOUT_BUILDERS
                for language in states.LANGUAGES if build(language).snapshot}
    stored = {path.name for path in SNAPSHOT_DIR.glob("breakout_*.json")}
    assert stored == expected
    assert len(expected) == 2 * 15
