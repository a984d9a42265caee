"""Activity -> Turn: mentions stripped, identities and places read, garbage tolerated."""

from __future__ import annotations

import pytest
from botbuilder.schema import Activity

from bot.core.turn import TurnKind
from bot.teams.endpoint import command_text, to_turn
from devtools.simulation import BOT_ID, Chat, Participant

CHAT = Chat(service_url="http://127.0.0.1:9/", meeting_id="MCMxmeeting")
ANNA = Participant.numbered(1)


def activity(payload: dict) -> Activity:
    return Activity().deserialize(payload)


@pytest.mark.parametrize(("text", "expected"), [
    ("<at>Resonanz</at> poll Q? | A | B", "poll Q? | A | B"),
    ("<at>Resonanz</at>&nbsp;hilfe", "hilfe"),
    ("<p><at>Resonanz</at> help</p>", "help"),
    ("help", "help"),
    ("  <at>Resonanz</at>  ", ""),
    ("poll Fish &amp; chips? | Yes | No", "poll Fish & chips? | Yes | No"),
])
def test_the_bots_mention_and_html_are_removed_from_commands(text, expected):
    payload = CHAT.message(ANNA, "", mention=True)
    payload["text"] = text
    assert command_text(activity(payload)) == expected


def test_a_mention_of_someone_else_is_kept():
    payload = CHAT.message(ANNA, "poll Ask <at>Ben</at>? | Yes | No", mention=True)
    payload["entities"].append({"type": "mention", "text": "<at>Ben</at>",
                                "mentioned": {"id": "29:ben", "name": "Ben"}})
    assert command_text(activity(payload)) == "poll Ask Ben? | Yes | No"


def test_a_turn_carries_who_where_and_the_language():
    turn = to_turn(activity(CHAT.message(ANNA, "help", locale="de-CH")), TurnKind.MESSAGE)
    assert turn.person.aad_object_id == ANNA.aad_object_id
    assert turn.person.user_id == ANNA.mri
    assert turn.person.tenant_id == CHAT.tenant_id
    assert turn.meeting_id == "MCMxmeeting"
    assert turn.language == "de"
    assert turn.address.conversation_id == CHAT.conversation_id
    assert turn.address.bot_id == BOT_ID


def test_a_card_click_carries_its_verb_and_data():
    turn = to_turn(activity(CHAT.click(ANNA, "poll.vote", {"poll": "p", "rz_choice": "1"},
                                       reply_to_id="msg-7")), TurnKind.CARD_ACTION)
    assert (turn.verb, turn.data, turn.reply_to_id) == (
        "poll.vote", {"poll": "p", "rz_choice": "1"}, "msg-7")


@pytest.mark.parametrize("value", [None, "text", [], {"action": None}, {"action": {"verb": 3}},
                                   {"action": {"verb": "poll.vote", "data": "x"}}])
def test_garbage_card_values_become_an_empty_action(value):
    payload = CHAT.click(ANNA, "poll.vote", {})
    payload["value"] = value
    turn = to_turn(activity(payload), TurnKind.CARD_ACTION)
    assert isinstance(turn.data, dict)


def test_a_guest_without_entra_id_and_without_channel_data_is_still_a_person():
    payload = CHAT.message(Participant.numbered(5, guest=True), "help")
    payload.pop("channelData")
    turn = to_turn(activity(payload), TurnKind.MESSAGE)
    assert turn.person.aad_object_id is None
    assert turn.person.stable_id.startswith("mri:")
    assert turn.meeting_id is None


def test_a_message_is_addressed_to_the_bot_only_by_its_mention_or_in_a_personal_chat():
    def turn_of(payload: dict) -> bool:
        return to_turn(activity(payload), TurnKind.MESSAGE).addressed

    assert turn_of(CHAT.message(ANNA, "poll Q? | A | B", mention=True))
    assert not turn_of(CHAT.message(ANNA, "Morgen!", mention=False))
    someone_else = CHAT.message(ANNA, "<at>Ben</at> kommst du?", mention=False)
    someone_else["entities"].append({"type": "mention", "text": "<at>Ben</at>",
                                     "mentioned": {"id": "29:ben", "name": "Ben"}})
    assert not turn_of(someone_else)
    bare_tag = CHAT.message(ANNA, "<at>Resonanz</at> help", mention=False)
    assert turn_of(bare_tag)  # some clients send the mention without its entity
    personal = Chat(service_url="http://127.0.0.1:9/", conversation_type="personal")
    assert turn_of(personal.message(ANNA, "Morgen!", mention=False))
    click = CHAT.click(ANNA, "poll.vote", {"poll": "p"})
    assert to_turn(activity(click), TurnKind.CARD_ACTION).addressed
