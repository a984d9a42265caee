"""JSON -> Activity: built directly, exactly as msrest builds it, or left to msrest."""

from __future__ import annotations

from typing import Any

from botbuilder.schema import Activity
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.teams.endpoint import parse_activity
from devtools.simulation import Chat, Participant

CHAT = Chat(service_url="http://127.0.0.1:9/", meeting_id="MCMxmeeting")
ANNA = Participant.numbered(1)


def snapshot(value: Any) -> Any:
    """Everything an msrest model holds, recursively, including unmapped fields."""
    if hasattr(value, "_attribute_map"):
        return (type(value).__name__, {k: snapshot(v) for k, v in vars(value).items()})
    if isinstance(value, list):
        return [snapshot(item) for item in value]
    if isinstance(value, dict):
        return {key: snapshot(item) for key, item in value.items()}
    return value


def msrest(payload: Any) -> Any:
    try:
        return snapshot(Activity().deserialize(payload))
    except Exception as error:  # the endpoint answers these 400
        return type(error)


def ours(payload: Any) -> Any:
    try:
        return snapshot(parse_activity(payload))
    except Exception as error:
        return type(error)


TEAMS_PAYLOADS = [
    CHAT.message(ANNA, "poll Q? | A | B"),
    CHAT.message(ANNA, "hilfe", locale="de-DE", mention=False),
    CHAT.click(ANNA, "poll.vote", {"poll": "p1", "rz_choice": "0"}, reply_to_id="m1"),
    CHAT.click(ANNA, "qna.ask", {"board": "b1", "rz_text": "Warum?"}),
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=8)
KEYS = ["type", "id", "text", "timestamp", "from", "conversation", "recipient", "entities",
        "attachments", "membersAdded", "value", "channelData", "locale", "replyToId", "name",
        "unknownField"]


def test_teams_payloads_become_the_same_activity_as_with_msrest():
    for payload in TEAMS_PAYLOADS:
        assert ours(payload) == msrest(payload)


def test_unmapped_fields_are_kept_as_msrest_keeps_them():
    payload = CHAT.message(ANNA, "help")
    payload["somethingNew"] = {"x": 1}
    payload["from"]["extra"] = "y"
    parsed = parse_activity(payload)
    assert parsed.additional_properties == {"somethingNew": {"x": 1}}
    assert parsed.from_property.additional_properties == {"extra": "y"}
    assert parsed.entities[-1].additional_properties["mentioned"]["id"]


@settings(max_examples=300, deadline=None)
@given(base=st.sampled_from(TEAMS_PAYLOADS), key=st.sampled_from(KEYS), value=json_values)
def test_any_value_at_any_field_gives_what_msrest_gives(base, key, value):
    payload = {**base, key: value}
    assert ours(payload) == msrest(payload)


@settings(max_examples=200, deadline=None)
@given(value=json_values)
def test_any_json_body_gives_what_msrest_gives(value):
    assert ours(value) == msrest(value)
