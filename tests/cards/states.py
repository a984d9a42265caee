"""Every card state under test, built in English and German from the real engine functions.

`test_poll_cards` snapshots the states with `snapshot=True`; `test_card_invariants` checks rules
over all of them. Each case records the text users typed (question, options, answers, names) so
the invariants can check where it lands in the card.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.cards.messages import render_help, render_notice
from bot.cards.poll_card import PollView, render_poll_card, render_receipt
from bot.cards.poll_form import FormValues, render_poll_form
from bot.i18n import Language, t
from facilitation.disclosure import MIN_BALLOTS, disclose
from facilitation.errors import DomainError
from facilitation.polls import (
    BallotChoice,
    Poll,
    PollDraft,
    PollKind,
    ResultsMode,
    Tally,
    close_poll,
    open_poll,
    reveal_results,
    tally_answers,
    tally_choices,
    validate_draft,
)

LANGUAGES: tuple[Language, ...] = ("en", "de")

T0 = datetime(2024, 5, 14, 9, 30, tzinfo=UTC)
CLOSED_AT = T0 + timedelta(minutes=20)
POLL_ID = "poll-7f3a9c"

QUESTION = "Where shall we have lunch on Friday?"
OPTIONS = ("Pizzeria Roma", "Salad bar", "Canteen")
MALICIOUS = "**bold** [click](https://evil.example) <at>everyone</at>"

# Display names and Teams identifiers as storage might hand them over. Views of anonymous polls
# get them too, to prove that the card drops them.
ANNA, JONAS, LEA, NOAH = "Anna Beispiel", "Jonas Müller", "Lea Schmidt", "Noah Weber"
VOTER_IDS = (
    "29:1abcDEFghiJKLmnoPQRstuVWXyz0123456789-AbCdEfGh",
    "8f3c2b1e-4d5a-4c7b-9e8f-0a1b2c3d4e5f",
    "mri:29:1ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210",
)

LONG_GERMAN_QUESTION = (
    "Wir planen das Sommerfest der Abteilung und möchten viele Wünsche "
    "berücksichtigen: Welche der folgenden Aktivitäten würdet ihr euch für den Nachmittag am "
    "meisten wünschen, wenn Budget und Wetter keine Rolle spielten und alle "
    "Kolleginnen und Kollegen aus Köln und Düsseldorf dabei sein könnten?"
)
TEN_GERMAN_OPTIONS = (
    "Grillen im Park", "Bootstour auf dem See", "Kletterhalle", "Escape Room", "Weinprobe",
    "Stadtführung mit Rätseln", "Kochkurs", "Minigolf", "Picknick mit Spielen", "Kanufahrt",
)


def long_option(index: int) -> str:
    """A distinct option of exactly 200 characters (the maximum)."""
    words = (f"Variante {index}: ein ausführlich beschriebener Vorschlag mit Begründung, "
             "Zeitplan, Kosten und Zuständigkeiten, damit alle wissen, worüber sie abstimmen, "
             "und niemand nachfragen muss, was genau gemeint ist, bevor er sich entscheidet ")
    text = words[:199].rstrip()
    return text + "." * (200 - len(text))


@dataclass(frozen=True)
class Case:
    state: str
    language: Language
    card: dict[str, Any]
    user_texts: tuple[str, ...] = ()
    name_groups: tuple[tuple[str, ...], ...] = ()  # per option, as the view carried them
    anonymous: bool | None = None  # None: not a poll card
    snapshot: bool = True

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for group in self.name_groups for name in group)

    @property
    def id(self) -> str:
        return f"{self.state}-{self.language}"


# ---------------------------------------------------------------------------- building blocks


def make_poll(question: str = QUESTION, options: Sequence[str] = OPTIONS, *,
              kind: PollKind = PollKind.SINGLE, anonymous: bool = True,
              results: ResultsMode = ResultsMode.LIVE, minutes: int | None = None,
              now: datetime = T0) -> Poll:
    draft = PollDraft(question=question, options=tuple(options), kind=kind, anonymous=anonymous,
                      results=results, auto_close_minutes=minutes)
    return open_poll(draft, poll_id=POLL_ID, now=now)


def votes(poll: Poll, per_mask: Mapping[int, int]) -> Tally:
    """A tally from {choice mask: ballots}, as storage aggregates it."""
    return tally_choices(len(poll.options), per_mask)


def single(poll: Poll, *counts: int) -> Tally:
    """A tally of single-choice ballots: `counts[i]` ballots for option i."""
    return votes(poll, {1 << index: count for index, count in enumerate(counts) if count})


def view(poll: Poll, current: Tally, *, shown: Tally | None = None, changes: int = 0,
         names: Sequence[Sequence[str]] = ()) -> PollView:
    disclosure = disclose(poll, current, shown=shown, changes_since_shown=changes)
    return PollView(poll=poll, disclosure=disclosure, min_ballots=MIN_BALLOTS,
                    names=tuple(tuple(group) for group in names))


def ids_for(counts: Sequence[int]) -> tuple[tuple[str, ...], ...]:
    """Voter identifiers per option (what a leak into an anonymous view would look like)."""
    pool = itertools.cycle(VOTER_IDS)
    return tuple(tuple(next(pool) for _ in range(count)) for count in counts)


def poll_case(state: str, language: Language, poll_view: PollView, *,
              selected: BallotChoice | None = None, extra_texts: Sequence[str] = (),
              snapshot: bool = True) -> Case:
    poll = poll_view.poll
    names = tuple(name for group in poll_view.names for name in group)
    user_texts = (poll.question,) + (() if poll.kind is PollKind.RATING else poll.options)
    if not poll.anonymous:
        user_texts += names
    return Case(state, language, render_poll_card(poll_view, language=language, selected=selected),
                user_texts=user_texts + tuple(extra_texts), name_groups=poll_view.names,
                anonymous=poll.anonymous, snapshot=snapshot)


# ---------------------------------------------------------------------------- poll card states


def single_no_votes(language: Language) -> Case:
    poll = make_poll()
    return poll_case("single_no_votes", language, view(poll, single(poll, 0, 0, 0)))


def single_two_votes_withheld(language: Language) -> Case:
    poll = make_poll()
    return poll_case("single_two_votes_withheld", language,
                     view(poll, single(poll, 1, 1, 0), names=ids_for((1, 1, 0))))


def single_five_votes_live(language: Language) -> Case:
    poll = make_poll()
    return poll_case("single_five_votes_live", language,
                     view(poll, single(poll, 3, 2, 0), names=ids_for((3, 2, 0))))


def single_stale_breakdown(language: Language) -> Case:
    """5 ballots now; the card still shows the breakdown published at 3 (2 changes since)."""
    poll = make_poll()
    return poll_case("single_stale_breakdown", language,
                     view(poll, single(poll, 3, 1, 1), shown=single(poll, 2, 1, 0), changes=2,
                          names=ids_for((3, 1, 1))))


def on_close_still_open(language: Language) -> Case:
    poll = make_poll(results=ResultsMode.ON_CLOSE)
    return poll_case("on_close_still_open", language,
                     view(poll, single(poll, 2, 1, 1), names=ids_for((2, 1, 1))))


def on_close_revealed(language: Language) -> Case:
    poll = reveal_results(make_poll(results=ResultsMode.ON_CLOSE))
    return poll_case("on_close_revealed", language,
                     view(poll, single(poll, 2, 1, 1), names=ids_for((2, 1, 1))))


def closed_final_result(language: Language) -> Case:
    poll = close_poll(make_poll(results=ResultsMode.ON_CLOSE), now=CLOSED_AT)
    return poll_case("closed_final_result", language,
                     view(poll, single(poll, 1, 3, 2), names=ids_for((1, 3, 2))))


def rating_average(language: Language) -> Case:
    """Ratings 2, 3, 3, 4, 5, 5: average 22/6 = 3.67, shown as 3.7 (German: 3,7)."""
    poll = make_poll("How useful was today's retro?", kind=PollKind.RATING)
    return poll_case("rating_average", language, view(poll, single(poll, 0, 1, 2, 1, 2)))


def multiple_choice_live(language: Language) -> Case:
    poll = make_poll("Which topics should the next all-hands cover?",
                     ("Roadmap", "Hiring", "Office move", "Budget"), kind=PollKind.MULTIPLE)
    tally = votes(poll, {0b0011: 2, 0b0101: 1, 0b1000: 1, 0b0111: 1})
    return poll_case("multiple_choice_live", language, view(poll, tally))


OPEN_ANSWERS = ("More breaks", "more  breaks", "Shorter meetings", "Remote Fridays",
                "More breaks", "shorter meetings", "A quiet room")


def text_closed_top_answers(language: Language) -> Case:
    poll = close_poll(make_poll("What would make our meetings better?", kind=PollKind.TEXT),
                      now=CLOSED_AT)
    return poll_case("text_closed_top_answers", language,
                     view(poll, tally_answers(OPEN_ANSWERS)),
                     extra_texts=("More breaks", "Shorter meetings", "Remote Fridays",
                                  "A quiet room"))


def text_open(language: Language) -> Case:
    poll = make_poll("What would make our meetings better?", kind=PollKind.TEXT)
    return poll_case("text_open", language, view(poll, tally_answers(OPEN_ANSWERS[:4])))


def named_with_names(language: Language) -> Case:
    poll = make_poll(anonymous=False)
    names = ((ANNA, JONAS), (LEA,), (NOAH,))
    return poll_case("named_with_names", language, view(poll, single(poll, 2, 1, 1), names=names))


def ten_options_long_german_question(language: Language) -> Case:
    poll = make_poll(LONG_GERMAN_QUESTION, TEN_GERMAN_OPTIONS)
    return poll_case("ten_options_long_german_question", language,
                     view(poll, single(poll, 3, 1, 0, 2, 1, 0, 0, 1, 0, 1)))


def auto_close(language: Language) -> Case:
    poll = make_poll(minutes=30)
    return poll_case("auto_close", language, view(poll, single(poll, 1, 0, 0)))


def change_vote_single(language: Language) -> Case:
    poll = make_poll()
    return poll_case("change_vote_single", language,
                     view(poll, single(poll, 3, 2, 0), names=ids_for((3, 2, 0))),
                     selected=BallotChoice(mask=0b010))


def change_vote_multiple(language: Language) -> Case:
    poll = make_poll("Which topics should the next all-hands cover?",
                     ("Roadmap", "Hiring", "Office move", "Budget"), kind=PollKind.MULTIPLE)
    return poll_case("change_vote_multiple", language,
                     view(poll, votes(poll, {0b0101: 2, 0b0010: 2})),
                     selected=BallotChoice(mask=0b0101))


def change_vote_text(language: Language) -> Case:
    poll = make_poll("What would make our meetings better?", kind=PollKind.TEXT)
    return poll_case("change_vote_text", language, view(poll, tally_answers(OPEN_ANSWERS[:4])),
                     selected=BallotChoice(text="A quiet room"), extra_texts=("A quiet room",))


# ---------------------------------------------------------------------------- receipts


def _receipt_case(state: str, language: Language, poll: Poll, choice: BallotChoice,
                  chosen: Sequence[str], *, changed: bool = False) -> Case:
    card = render_receipt(poll, choice, language=language, changed=changed)
    return Case(state, language, card, user_texts=(poll.question, *chosen),
                anonymous=poll.anonymous)


def receipt_voted(language: Language) -> Case:
    poll = make_poll()
    return _receipt_case("receipt_voted", language, poll, BallotChoice(mask=0b010), ["Salad bar"])


def receipt_changed(language: Language) -> Case:
    poll = make_poll("Which topics should the next all-hands cover?",
                     ("Roadmap", "Hiring", "Office move", "Budget"), kind=PollKind.MULTIPLE)
    return _receipt_case("receipt_changed", language, poll, BallotChoice(mask=0b1001),
                         ["Roadmap", "Budget"], changed=True)


def receipt_text_answer(language: Language) -> Case:
    poll = make_poll("What would make our meetings better?", kind=PollKind.TEXT)
    return _receipt_case("receipt_text_answer", language, poll,
                         BallotChoice(text="A quiet room for focused work"),
                         ["A quiet room for focused work"])


# ---------------------------------------------------------------------------- form and help


def form_error_message(values: FormValues, language: Language) -> str:
    """The error the handler shows for these values (the engine's code, translated)."""
    draft = PollDraft(question=values.question,
                      options=tuple(line for line in values.options.splitlines() if line.strip()),
                      kind=PollKind(values.kind), anonymous=values.anonymous,
                      results=ResultsMode(values.results),
                      auto_close_minutes=int(values.minutes) if values.minutes else None)
    try:
        validate_draft(draft)
    except DomainError as error:
        return t(error.code, language, **error.params)
    raise AssertionError("these form values were meant to be invalid")


def form_empty(language: Language) -> Case:
    return Case("form_empty", language, render_poll_form(language=language))


FILLED_FORM = FormValues(question="Where shall we have lunch?",
                         options="Pizzeria Roma\nSalad bar\nsalad bar", kind="multiple",
                         anonymous=False, results="on_close", minutes="45")


def form_error_filled(language: Language) -> Case:
    """The user typed an option twice: the form comes back with the error and their values."""
    card = render_poll_form(language=language, values=FILLED_FORM,
                            error=form_error_message(FILLED_FORM, language))
    return Case("form_error_filled", language, card,
                user_texts=(FILLED_FORM.question, FILLED_FORM.options, "Pizzeria Roma",
                            "Salad bar", "salad bar"))


HELP_ENTRIES = [("poll <question> | <option>…", "Start a poll")]


def help_card(language: Language) -> Case:
    return Case("help", language, render_help(HELP_ENTRIES, language=language))


# ---------------------------------------------------------------------------- invariants only


def help_from_registry(language: Language) -> Case:
    from bot.app import build_registry

    entries = build_registry().help_entries(language)
    return Case("help_from_registry", language, render_help(entries, language=language),
                snapshot=False)


def malicious_named_poll(language: Language) -> Case:
    poll = make_poll(MALICIOUS, (MALICIOUS + " A", "Plain option", "<at>Jonas</at>"),
                     anonymous=False)
    names = ((MALICIOUS, "[Eve](https://evil.example)"), ("_Mallory_",), ())
    return poll_case("malicious_named_poll", language,
                     view(poll, single(poll, 2, 1, 0), names=names), snapshot=False)


def malicious_text_poll_closed(language: Language) -> Case:
    poll = close_poll(make_poll(MALICIOUS, kind=PollKind.TEXT), now=CLOSED_AT)
    answers = (MALICIOUS, MALICIOUS, "# Heading", "[x](https://evil.example)")
    return poll_case("malicious_text_poll_closed", language, view(poll, tally_answers(answers)),
                     extra_texts=(MALICIOUS, "# Heading", "[x](https://evil.example)"),
                     snapshot=False)


def malicious_change_vote_text(language: Language) -> Case:
    poll = make_poll(MALICIOUS, kind=PollKind.TEXT)
    return poll_case("malicious_change_vote_text", language,
                     view(poll, tally_answers((MALICIOUS,) * 3)),
                     selected=BallotChoice(text=MALICIOUS), snapshot=False)


def malicious_receipt(language: Language) -> Case:
    poll = make_poll(MALICIOUS, (MALICIOUS + " A", "Plain option"))
    return Case("malicious_receipt", language,
                render_receipt(poll, BallotChoice(mask=0b1), language=language),
                user_texts=(MALICIOUS,), anonymous=True, snapshot=False)


MALICIOUS_FORM = FormValues(question=MALICIOUS, options=f"{MALICIOUS}\nPlain\n{MALICIOUS}")


def malicious_form_error(language: Language) -> Case:
    card = render_poll_form(language=language, values=MALICIOUS_FORM,
                            error=form_error_message(MALICIOUS_FORM, language))
    return Case("malicious_form_error", language, card,
                user_texts=(MALICIOUS, MALICIOUS_FORM.options), snapshot=False)


def malicious_created_notice(language: Language) -> Case:
    """The personal notice after creating a poll from the form, composed as the handler does
    (`bot/handlers/polls.py`: render_notice(t("poll.created"), question))."""
    card = render_notice(t("poll.created", language), MALICIOUS)
    return Case("malicious_created_notice", language, card, user_texts=(MALICIOUS,),
                snapshot=False)


def largest_anonymous_poll(language: Language) -> Case:
    """10 options of 200 characters, a 300-character question, breakdown shown."""
    question = (LONG_GERMAN_QUESTION + " " + "x" * 300)[:300]
    poll = make_poll(question, [long_option(i) for i in range(10)])
    return poll_case("largest_anonymous_poll", language,
                     view(poll, single(poll, *range(1, 11)), names=ids_for(range(1, 11))),
                     snapshot=False)


def largest_closed_change_card(language: Language) -> Case:
    """The largest personal card: change-vote card of the 10 × 200 poll, with a selection."""
    question = (LONG_GERMAN_QUESTION + " " + "x" * 300)[:300]
    poll = make_poll(question, [long_option(i) for i in range(10)], kind=PollKind.MULTIPLE)
    return poll_case("largest_change_card", language,
                     view(poll, votes(poll, {(1 << 10) - 1: 9})),
                     selected=BallotChoice(mask=(1 << 10) - 1), snapshot=False)


def largest_named_poll(language: Language) -> Case:
    """10 × 200-character options in a named poll with 30 voters per option (20 names shown)."""
    question = (LONG_GERMAN_QUESTION + " " + "x" * 300)[:300]
    poll = make_poll(question, [long_option(i) for i in range(10)], anonymous=False)
    names = tuple(tuple(f"Mitarbeiterin Nummer {o}-{n} (Vertrieb)" for n in range(30))
                  for o in range(10))
    return poll_case("largest_named_poll", language,
                     view(poll, single(poll, *[30] * 10), names=names), snapshot=False)


BUILDERS: tuple[Callable[[Language], Case], ...] = (
    single_no_votes, single_two_votes_withheld, single_five_votes_live, single_stale_breakdown,
    on_close_still_open, on_close_revealed, closed_final_result, rating_average,
    multiple_choice_live, text_closed_top_answers, text_open, named_with_names,
    ten_options_long_german_question, auto_close, change_vote_single, change_vote_multiple,
    change_vote_text, receipt_voted, receipt_changed, receipt_text_answer, form_empty,
    form_error_filled, help_card,
    help_from_registry, malicious_named_poll, malicious_text_poll_closed,
    malicious_change_vote_text, malicious_receipt, malicious_form_error, malicious_created_notice,
    largest_anonymous_poll, largest_closed_change_card, largest_named_poll,
)


def all_cases() -> list[Case]:
    """Every state in both languages."""
    return [build(language) for build in BUILDERS for language in LANGUAGES]


def walk(element: Any, path: tuple[Any, ...] = ()) -> Any:
    """Yield (path, parent dict, key, value) for every value anywhere in a card."""
    if isinstance(element, dict):
        for key, value in element.items():
            yield path, element, key, value
            yield from walk(value, (*path, element))
    elif isinstance(element, list):
        for value in element:
            yield from walk(value, path)


def elements_of_type(card: Any, *types: str) -> list[dict[str, Any]]:
    found = []
    for _, parent, key, value in walk(card):
        if key == "type" and value in types:
            found.append(parent)
    return found


def texts_of(card: Any, type_: str) -> list[str]:
    """The texts of all TextBlocks (or TextRuns) in a card."""
    return [element["text"] for element in elements_of_type(card, type_)]
