"""Every card state under test, built in English and German from the real engine functions.

`test_poll_cards` snapshots the states with `snapshot=True`; `test_card_invariants` checks rules
over all of them. Each case records the text users typed (question, options, answers, names) so
the invariants can check where it lands in the card.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache, cached_property, partial
from typing import Any

from bot.breakouts.cards import (
    DraftView,
    GroupView,
    render_assignment,
    render_breakout_form,
    render_copy_list,
    render_draft,
    render_private_assignment,
    render_report_form,
    render_results_wall,
)
from bot.cards.messages import render_help, render_notice
from bot.i18n import Language, inert, t
from bot.polls.cards import PollView, render_poll_card, render_receipt
from bot.polls.form import FormValues, render_poll_form
from bot.qna.cards import Viewer, render_board, render_board_moved, render_duplicate_offer
from bot.summaries.cards import render_report_link, render_summary_card
from bot.summaries.gathering import _poll_summary
from facilitation.breakout_rounds import (
    BreakoutProblem,
    Report,
    Source,
    check_duration,
    report,
)
from facilitation.breakouts import (
    Constraints,
    InvalidBreakout,
    Member,
    group_count,
    plan_breakout,
)
from facilitation.errors import DomainError
from facilitation.policy import Policy
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
from facilitation.qna import (
    MAX_QUESTION_CHARS,
    Board,
    BoardMode,
    BoardView,
    Question,
    QuestionStatus,
    RankedQuestion,
    approve,
    ask,
    dismiss,
    mark_answered,
    merge,
    rank_board,
    start_answering,
)
from facilitation.summaries import (
    BreakoutSummary,
    Count,
    EngagementSummary,
    GroupResult,
    PollSummary,
    QnaSummary,
    QuestionSummary,
    Reach,
    Sentiment,
    top_questions,
)
from storage.repositories import StoredPoll

LANGUAGES: tuple[Language, ...] = ("en", "de")


def content(language: Language) -> Language:
    """The language of what people typed in a state: German in German states, English in all
    others (also in a language added by a test catalogue, whose interface is then all that
    changes)."""
    return language if language in LANGUAGES else "en"

T0 = datetime(2024, 5, 14, 9, 30, tzinfo=UTC)
CLOSED_AT = T0 + timedelta(minutes=20)
POLICY = Policy()  # the default disclosure policy, as without RESONANZ_MIN_BALLOTS
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


CardOrBuild = dict[str, Any] | Callable[[], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    """One card state. A case whose card is expensive (the town hall's) is given what builds the
    card instead: collection reads every case, the card is built when a test first needs it."""

    state: str
    language: Language
    card_or_build: CardOrBuild
    user_texts: tuple[str, ...] = ()
    name_groups: tuple[tuple[str, ...], ...] = ()  # per option, as the view carried them
    anonymous: bool | None = None  # None: not a poll card
    snapshot: bool = True
    hidden_texts: tuple[str, ...] = ()  # user text this card must never contain
    # (invariant, reason) for each known problem: that invariant is expected to fail (strictly)
    known_problems: tuple[tuple[str, str], ...] = ()

    @cached_property
    def card(self) -> dict[str, Any]:
        return self.card_or_build() if callable(self.card_or_build) else self.card_or_build

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
    disclosure = POLICY.live_card(poll, current, shown=shown, changes_since_shown=changes)
    return PollView(poll=poll, disclosure=disclosure, policy=POLICY,
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


# What `form_owner_tag` hands over: a hash of the person the form is posted for, not an identity.
FORM_OWNER = "f0a1b2c3d4e5f60718293a4b"


def form_empty(language: Language) -> Case:
    return Case("form_empty", language, render_poll_form(language=language, owner=FORM_OWNER))


FILLED_FORM = FormValues(question="Where shall we have lunch?",
                         options="Pizzeria Roma\nSalad bar\nsalad bar", kind="multiple",
                         anonymous=False, results="on_close", minutes="45")


def form_error_filled(language: Language) -> Case:
    """The user typed an option twice: the form comes back with the error and their values."""
    card = render_poll_form(language=language, values=FILLED_FORM, owner=FORM_OWNER,
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
    card = render_poll_form(language=language, values=MALICIOUS_FORM, owner=FORM_OWNER,
                            error=form_error_message(MALICIOUS_FORM, language))
    return Case("malicious_form_error", language, card,
                user_texts=(MALICIOUS, MALICIOUS_FORM.options), snapshot=False)


def malicious_created_notice(language: Language) -> Case:
    """The personal notice after creating a poll from the form, composed as the handler does
    (`bot/polls/handlers.py`: render_notice(t("poll.created"), question))."""
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


# ---------------------------------------------------------------------------- Q&A board states

BOARD_ID = "board-4c21e8"
QNA_T0 = datetime(2024, 5, 14, 14, 0, tzinfo=UTC)  # the all-hands starts; one question a minute
ASKER_TAG = "c0ffee5e1f2a9b7d3e4c8a61"  # what `tag_for` hands over: a hash, not an identity
MIA = "Mia Wagner"

# (English, German): what people ask at an all-hands, by question number (q-01 … q-24).
QNA_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("When will the new parental leave policy take effect?",
     "Ab wann gilt die neue Elternzeitregelung?"),
    ("Is the move to the Hafen building still planned for September?",
     "Ist der Umzug ins Hafengebäude weiterhin für September geplant?"),
    ("Will salaries be adjusted for inflation this year?",
     "Gibt es dieses Jahr einen Inflationsausgleich bei den Gehältern?"),
    ("How will the reorganisation affect the support team?",
     "Wie wirkt sich die Umstrukturierung auf das Support-Team aus?"),
    ("Could we have more than two remote days per week?",
     "Können wir mehr als zwei Homeoffice-Tage pro Woche bekommen?"),
    ("Why was the Düsseldorf project stopped?",
     "Warum wurde das Projekt in Düsseldorf gestoppt?"),
    ("Are we hiring again in the second half of the year?",
     "Stellen wir im zweiten Halbjahr wieder ein?"),
    ("What happens to the bonus if we miss our targets because of the delayed launch?",
     "Was passiert mit dem Bonus, wenn wir die Ziele wegen des verschobenen Starts verfehlen?"),
    ("Will the canteen open earlier for the early shift?",
     "Öffnet die Kantine für die Frühschicht früher?"),
    ("Who decides which teams get the new laptops first?",
     "Wer entscheidet, welche Teams die neuen Laptops zuerst bekommen?"),
    ("Is there a budget for training courses this year?",
     "Gibt es dieses Jahr ein Budget für Weiterbildungen?"),
    ("How do we measure the success of the new strategy?",
     "Woran messen wir den Erfolg der neuen Strategie?"),
    ("Can part-time staff join the mentoring programme?",
     "Können Teilzeitkräfte am Mentoring-Programm teilnehmen?"),
    ("When will the results of the employee survey be published?",
     "Wann werden die Ergebnisse der Mitarbeiterbefragung veröffentlicht?"),
    ("Will we keep the four-day week pilot after the summer?",
     "Behalten wir das Pilotprojekt zur Vier-Tage-Woche nach dem Sommer bei?"),
    ("Where do we park while the car park is being rebuilt?",
     "Wo parken wir, während das Parkhaus umgebaut wird?"),
    ("Are there plans to open an office in Vienna?",
     "Gibt es Pläne für ein Büro in Wien?"),
    ("How many people have taken up the early retirement offer?",
     "Wie viele Kolleginnen und Kollegen nehmen das Angebot zum Vorruhestand an?"),
    ("Why does it take six weeks to reimburse travel expenses?",
     "Warum dauert die Erstattung von Reisekosten sechs Wochen?"),
    ("Will the works council be involved in the new shift plan?",
     "Wird der Betriebsrat beim neuen Schichtplan beteiligt?"),
    ("Can we get a quiet room on the third floor?",
     "Können wir im dritten Stock einen Ruheraum bekommen?"),
    ("What does the merger mean for our product roadmap?",
     "Was bedeutet die Fusion für unsere Produkt-Roadmap?"),
    ("Is there a Christmas party this year?",
     "Gibt es dieses Jahr eine Weihnachtsfeier?"),
    ("Who can answer questions about the company pension scheme?",
     "Wer beantwortet Fragen zur Betriebsrente?"),
)
# Asked again in other words: the duplicate offer points the asker to question 5.
SIMILAR_TO_5 = ("Could we get more than two remote days a week?",
                "Können wir mehr als zwei Tage pro Woche im Homeoffice arbeiten?")

LONG_NAME = "Maximiliane Konstanze Freifrau von Hohenberg-Süßmilch (Vertrieb Süd, Köln)"


def question_text_of(language: Language, number: int) -> str:
    english, german = QNA_QUESTIONS[number - 1]
    return german if language == "de" else english


def long_question(language: Language, number: int) -> str:
    """A distinct question of exactly 500 characters (the maximum), with umlauts in German."""
    base = {
        "de": (f"Frage {number}: Im letzten Quartal wurden Budgets, Zuständigkeiten und "
               "Prioritäten mehrfach kurzfristig geändert, ohne dass die betroffenen Teams in "
               "Köln, Düsseldorf und München früh genug eingebunden wären. Wie stellt die "
               "Geschäftsführung künftig sicher, dass solche Änderungen begründet, rechtzeitig "
               "angekündigt und mit den Teams abgestimmt werden, und welche Rolle spielen dabei "
               "der Betriebsrat, die Bereichsleitungen und die Quartalsgespräche, die im "
               "Frühjahr eingeführt wurden? Und wer ist für Rückfragen zuständig, wenn es "
               "später Schwierigkeiten gibt, die niemand vorhergesehen hat? "),
        "en": (f"Question {number}: Last quarter, budgets, responsibilities and priorities "
               "changed at short notice several times without the teams in Cologne, Düsseldorf "
               "and Munich being involved early enough. How will management make sure that such "
               "changes are explained, announced in good time and agreed with the teams, and "
               "what role do the works council, the department heads and the quarterly reviews "
               "introduced in the spring play in this? And who answers follow-up questions if "
               "problems come up later that nobody foresaw at the time? "),
    }[content(language)]
    text = base[:MAX_QUESTION_CHARS - 1].rstrip()
    return text + "?" * (MAX_QUESTION_CHARS - len(text))


def make_board(mode: BoardMode = BoardMode.OPEN) -> Board:
    return Board(id=BOARD_ID, mode=mode, created_at=QNA_T0)


def asked(board: Board, number: int, text: str, *, author: str | None = None) -> Question:
    """Question `number`, asked `number` minutes into the meeting (so lower numbers are older),
    and on the board (approved first when the board is reviewed)."""
    question = ask(board, text, question_id=f"q-{number:02d}",
                   now=QNA_T0 + timedelta(minutes=number), author=author)
    return approve(question) if question.status is QuestionStatus.PENDING else question


def pending(board: Board, number: int, text: str, *, author: str | None = None) -> Question:
    assert board.mode is BoardMode.REVIEWED
    return ask(board, text, question_id=f"q-{number:02d}",
               now=QNA_T0 + timedelta(minutes=number), author=author)


def answered(question: Question) -> Question:
    return mark_answered(question, now=question.asked_at + timedelta(minutes=30))


@dataclass(frozen=True)
class QnaBoard:
    """A board as storage hands it over: its questions and the upvote count of each."""

    board: Board
    questions: tuple[Question, ...]
    votes: Mapping[str, int]

    @property
    def view(self) -> BoardView:
        return rank_board(self.board, self.questions, self.votes)

    def texts(self, *statuses: QuestionStatus) -> tuple[str, ...]:
        return tuple(q.text for q in self.questions if q.status in statuses)

    @property
    def authors(self) -> tuple[str, ...]:
        return tuple(q.author for q in self.questions if q.author)


def empty_board(language: Language) -> QnaBoard:
    return QnaBoard(make_board(), (), {})


def five_open_board(language: Language) -> QnaBoard:
    """Five open questions, two of them asked with a name. By votes: q-03 (7), q-01 (4, older
    than q-05), q-05 (4), q-02 (1), q-04 (0)."""
    board = make_board()
    text = partial(question_text_of, language)
    questions = (asked(board, 1, text(1)), asked(board, 2, text(2), author=ANNA),
                 asked(board, 3, text(3)), asked(board, 4, text(4)),
                 asked(board, 5, text(5), author=JONAS))
    return QnaBoard(board, questions, {"q-01": 4, "q-02": 1, "q-03": 7, "q-05": 4})


def answering_board(language: Language) -> QnaBoard:
    """q-02 is being answered (it had the most votes); three wait; q-01 was answered."""
    board = make_board()
    text = partial(question_text_of, language)
    questions = (answered(asked(board, 1, text(1))),
                 start_answering(asked(board, 2, text(2), author=ANNA)),
                 asked(board, 3, text(3)), asked(board, 4, text(4)), asked(board, 5, text(5)))
    return QnaBoard(board, questions, {"q-01": 9, "q-02": 8, "q-03": 5, "q-04": 2, "q-05": 3})


def fourteen_asked_board(language: Language, mode: BoardMode = BoardMode.OPEN) -> QnaBoard:
    """14 asked: 5 answered, 2 merged, 1 dismissed; the rest open (one being answered) or, on a
    reviewed board, 3 of them still waiting for review."""
    board = make_board(mode)
    text = partial(question_text_of, language)
    on_board = {number: asked(board, number, text(number)) for number in range(1, 15)}
    changed = {number: answered(on_board[number]) for number in (1, 2, 3, 4, 6)}
    changed[7] = merge(on_board[7], on_board[5])
    changed[8] = merge(on_board[8], on_board[9])
    changed[10] = dismiss(on_board[10])
    changed[5] = start_answering(on_board[5])
    if mode is BoardMode.REVIEWED:
        changed.update({number: pending(board, number, text(number)) for number in (12, 13, 14)})
    questions = tuple(changed.get(number, question) for number, question in on_board.items())
    votes = {f"q-{number:02d}": 15 - number for number in range(1, 15)}
    return QnaBoard(board, questions, votes)


def many_open_board(language: Language) -> QnaBoard:
    """All 24 questions asked; q-01 and q-02 answered: 22 open, more than the shared card shows
    (8) and more than one page of "show all" (15)."""
    board = make_board()
    text = partial(question_text_of, language)
    questions = tuple(asked(board, number, text(number), author=MIA if number == 6 else None)
                      for number in range(1, 25))
    questions = (*map(answered, questions[:2]), *questions[2:])
    votes = {f"q-{number:02d}": max(0, 20 - number) for number in range(1, 25)}
    return QnaBoard(board, questions, votes)


def reviewed_board(language: Language) -> QnaBoard:
    """A reviewed board as a moderator finds it: q-01 answered, q-02 being answered, three open,
    q-06 dismissed, and two questions (one asked with a name) waiting for review."""
    board = make_board(BoardMode.REVIEWED)
    text = partial(question_text_of, language)
    questions = (answered(asked(board, 1, text(1))), start_answering(asked(board, 2, text(2))),
                 asked(board, 3, text(3)), asked(board, 4, text(4), author=LEA),
                 asked(board, 5, text(5)), dismiss(asked(board, 6, text(6))),
                 pending(board, 7, text(7)), pending(board, 8, text(8), author=NOAH))
    return QnaBoard(board, questions, {"q-01": 6, "q-02": 5, "q-03": 2, "q-04": 4, "q-05": 1})


def qna_case(state: str, language: Language, qna: QnaBoard, viewer: Viewer | None = None, *,
             snapshot: bool = True, known_problems: Sequence[tuple[str, str]] = ()) -> Case:
    """The board as `viewer` sees it (the shared card when None). Texts of dismissed and merged
    questions must never appear, nor, unless the viewer moderates, pending ones."""
    hidden = {QuestionStatus.DISMISSED, QuestionStatus.MERGED}
    if viewer is None or not viewer.moderator:
        hidden.add(QuestionStatus.PENDING)
    card = render_board(qna.view, language=language, viewer=viewer)
    shown = set(qna.texts(*(set(QuestionStatus) - hidden)))
    return Case(state, language, card, user_texts=(*qna.texts(*QuestionStatus), *qna.authors),
                hidden_texts=tuple(text for text in qna.texts(*hidden) if text not in shown),
                snapshot=snapshot, known_problems=tuple(known_problems))


def qna_empty(language: Language) -> Case:
    return qna_case("qna_empty", language, empty_board(language))


def qna_five_open(language: Language) -> Case:
    return qna_case("qna_five_open", language, five_open_board(language))


def qna_answering(language: Language) -> Case:
    return qna_case("qna_answering", language, answering_board(language))


def qna_counts_open(language: Language) -> Case:
    return qna_case("qna_counts_open", language, fourteen_asked_board(language))


def qna_counts_reviewed(language: Language) -> Case:
    return qna_case("qna_counts_reviewed", language,
                    fourteen_asked_board(language, BoardMode.REVIEWED))


def qna_many_open_shared(language: Language) -> Case:
    return qna_case("qna_many_open_shared", language, many_open_board(language))


def qna_show_all_page_0(language: Language) -> Case:
    return qna_case("qna_show_all_page_0", language, many_open_board(language),
                    Viewer(upvoted=frozenset({"q-04", "q-20"}), page=0))


def qna_show_all_page_1(language: Language) -> Case:
    return qna_case("qna_show_all_page_1", language, many_open_board(language),
                    Viewer(upvoted=frozenset({"q-04", "q-20"}), page=1))


def qna_participant_upvoted(language: Language) -> Case:
    """A participant's own view: they upvoted q-03 and q-05."""
    return qna_case("qna_participant_upvoted", language, five_open_board(language),
                    Viewer(upvoted=frozenset({"q-03", "q-05"})))


def qna_notice(language: Language) -> Case:
    """The personal view right after asking, with the confirmation as its notice line."""
    return qna_case("qna_notice", language, five_open_board(language),
                    Viewer(upvoted=frozenset({"q-01"}), notice=t("qna.asked", language)))


def qna_moderator(language: Language) -> Case:
    return qna_case("qna_moderator", language, reviewed_board(language),
                    Viewer(upvoted=frozenset({"q-04"}), moderator=True))


def qna_reviewed_participant(language: Language) -> Case:
    return qna_case("qna_reviewed_participant", language, reviewed_board(language),
                    Viewer(upvoted=frozenset({"q-04"})))


def qna_reviewed_shared(language: Language) -> Case:
    return qna_case("qna_reviewed_shared", language, reviewed_board(language))


def duplicate_existing(language: Language) -> RankedQuestion:
    question = asked(make_board(), 5, question_text_of(language, 5), author=JONAS)
    return RankedQuestion(question, 6)


def qna_duplicate_offer(language: Language) -> Case:
    existing = duplicate_existing(language)
    similar = SIMILAR_TO_5[language == "de"]
    card = render_duplicate_offer(BOARD_ID, existing, text_asked=similar, named=True,
                                  asker=ASKER_TAG, language=language)
    return Case("qna_duplicate_offer", language, card, user_texts=(existing.question.text, similar))


def qna_board_moved(language: Language) -> Case:
    return Case("qna_board_moved", language, render_board_moved(language))


def malicious_board(language: Language) -> QnaBoard:
    """A reviewed board where Markdown, a link and a mention arrive as a question (open, being
    answered, answered and pending) and as an author's name."""
    board = make_board(BoardMode.REVIEWED)
    text = partial(question_text_of, language)
    questions = (answered(asked(board, 1, MALICIOUS + " (answered)")),
                 start_answering(asked(board, 2, MALICIOUS + " (now)", author=MALICIOUS)),
                 asked(board, 3, MALICIOUS), asked(board, 4, text(4), author=MALICIOUS),
                 asked(board, 5, "[Eve](https://evil.example) _Mallory_", author="# Heading"),
                 pending(board, 6, MALICIOUS + " (pending)", author=MALICIOUS))
    return QnaBoard(board, questions, {"q-03": 3, "q-04": 2})


def qna_malicious_shared(language: Language) -> Case:
    return qna_case("qna_malicious_shared", language, malicious_board(language), snapshot=False)


def qna_malicious_moderator(language: Language) -> Case:
    return qna_case("qna_malicious_moderator", language, malicious_board(language),
                    Viewer(moderator=True), snapshot=False)


def qna_malicious_duplicate_offer(language: Language) -> Case:
    existing = RankedQuestion(asked(make_board(), 3, MALICIOUS, author=MALICIOUS), 2)
    card = render_duplicate_offer(BOARD_ID, existing, text_asked=MALICIOUS + "?", named=False,
                                  asker=ASKER_TAG, language=language)
    return Case("qna_malicious_duplicate_offer", language, card,
                user_texts=(MALICIOUS, MALICIOUS + "?"), snapshot=False)


def largest_board(language: Language) -> QnaBoard:
    """The worst case for size: a reviewed board with 40 open and 40 pending questions of 500
    characters, all asked with long names, plus one being answered and three answered."""
    board = make_board(BoardMode.REVIEWED)
    questions = [start_answering(asked(board, 1, long_question(language, 1), author=LONG_NAME))]
    questions += [answered(asked(board, n, long_question(language, n), author=LONG_NAME))
                  for n in range(2, 5)]
    questions += [asked(board, n, long_question(language, n), author=f"{LONG_NAME} {n}")
                  for n in range(5, 45)]
    questions += [pending(board, n, long_question(language, n), author=f"{LONG_NAME} {n}")
                  for n in range(45, 85)]
    return QnaBoard(board, tuple(questions), {f"q-{n:02d}": 100 - n for n in range(1, 85)})


def qna_largest_moderator_board(language: Language) -> Case:
    return qna_case("qna_largest_moderator_board", language, largest_board(language),
                    Viewer(moderator=True), snapshot=False)


# ---------------------------------------------------------------------------- breakout states

ROUND_ID = "round-5e2d91"
ROUND_SEED = zlib.crc32(ROUND_ID.encode())  # as the handler seeds the plan of a round
ENDS_AT_ISO = "2024-05-14T10:20:00Z"  # published at 10:00 with 20 minutes

# A team chat of 25 (English and German): 2 are left out, 23 take part in 5 groups.
BREAKOUT_TEAM: dict[Language, tuple[str, ...]] = {
    "en": ("Olivia Bennett", "James Carter", "Priya Patel", "Daniel Hughes", "Margaret Collins",
           "Tom Baker", "Aisha Khan", "Liam O'Connor", "Sophie Turner", "Ethan Brooks",
           "Grace Mitchell", "Samuel Reed", "Chloe Evans", "Noah Campbell", "Emily Foster",
           "Benjamin Ward", "Hannah Wright", "Lucas Morgan", "Isabel Price", "Oscar Jenkins",
           "Zoe Richardson", "Marcus Lee", "Amelia Scott", "Robert Fischer", "Ruth Adeyemi"),
    "de": (ANNA, JONAS, LEA, NOAH, MIA, "Katrin Vogel", "Lukas Becker", "Sophie Hoffmann",
           "Felix Schäfer", "Emma Koch", "Paul Richter", "Hannah Klein", "Leon Wolf",
           "Marie Schröder", "Elias Neumann", "Lina Schwarz", "Ben Zimmermann", "Clara Braun",
           "Finn Krüger", "Johanna Hofmann", "Tim Hartmann", "Laura Lange", "Jürgen Krause",
           "Özlem Yıldız", "Stefan Hoffmann"),
}
BREAKOUT_LEFT_OUT: dict[Language, tuple[str, ...]] = {
    "en": ("Hannah Wright", "Robert Fischer"), "de": ("Jürgen Krause", "Özlem Yıldız")}
# A manager and two of her team are kept apart; a new colleague stays with her buddy.
BREAKOUT_APART: dict[Language, tuple[str, ...]] = {
    "en": ("Margaret Collins", "Daniel Hughes", "Priya Patel"),
    "de": ("Katrin Vogel", JONAS, LEA)}
BREAKOUT_TOGETHER: dict[Language, tuple[str, ...]] = {
    "en": ("Tom Baker", "Aisha Khan"), "de": (NOAH, MIA)}
BREAKOUT_TOPICS: dict[Language, tuple[str, ...]] = {
    "en": ("Onboarding new colleagues", "Customer feedback on the spring release",
           "Fewer, better meetings", "Sharing the on-call rota fairly",
           "Ideas for the summer party"),
    "de": ("Einarbeitung neuer Kolleginnen und Kollegen", "Kundenfeedback zum Frühjahrs-Release",
           "Weniger Meetings, bessere Meetings", "Rufbereitschaft gerecht verteilen",
           "Ideen für das Sommerfest"),
}
BREAKOUT_MINUTES = 20
# A retro in three groups: the results wall.
RETRO_TOPICS: dict[Language, tuple[str, ...]] = {
    "en": ("What went well this quarter?", "What slows us down?", "What do we try next?"),
    "de": ("Was lief gut im Quartal?", "Was bremst uns aus?", "Was probieren wir als Nächstes?"),
}
RETRO_REPORTS: dict[Language, dict[int, tuple[tuple[str, ...], str]]] = {
    "en": {1: (("The release went out on time", "Support tickets down by a third",
                "Pairing on reviews helped the new colleagues"),
               "We want to keep the Thursday demo."),
           3: (("Try a meeting-free Wednesday for a month",), "")},
    "de": {1: (("Das Release kam pünktlich", "Ein Drittel weniger Support-Tickets",
                "Gemeinsame Reviews haben den Neuen geholfen"),
               "Die Donnerstags-Demo wollen wir behalten."),
           3: (("Einen Monat lang den meetingfreien Mittwoch ausprobieren",), "")},
}

# A town hall of 1,000 with long display names (20 first names × 10 surnames × 5 departments).
TOWN_HALL_FIRST: dict[Language, tuple[str, ...]] = {
    "en": ("Alexandra Catherine", "Christopher James", "Elizabeth Margaret", "Jonathan Alexander",
           "Victoria Charlotte", "Nathaniel Benjamin", "Gwendolyn Rosalind",
           "Maximilian Frederick", "Anastasia Josephine", "Bartholomew Edward",
           "Penelope Harriet", "Sebastian Theodore", "Florence Isabella", "Leopold Augustus",
           "Henrietta Beatrice", "Montgomery Rupert", "Evangeline Louisa", "Archibald Reginald",
           "Seraphina Imogen", "Cornelius Barnaby"),
    "de": ("Maximiliane Konstanze", "Friedrich Wilhelm", "Anna-Lena Sophie",
           "Karl-Heinz Johannes", "Marie-Luise Charlotte", "Hans-Jürgen Matthias",
           "Annemarie Theresia", "Wolfgang Christoph", "Eva-Maria Franziska",
           "Klaus-Dieter Benedikt", "Hannelore Gertrud", "Jörg-Peter Sebastian",
           "Ursula Mechthild", "Dietrich Maximilian", "Brigitte Rosemarie", "Bernhard Konstantin",
           "Gisela Walburga", "Günther Leopold", "Ingeborg Adelheid", "Reinhard Ferdinand"),
}
TOWN_HALL_SURNAMES: dict[Language, tuple[str, ...]] = {
    "en": ("Montgomery-Fairweather", "Worthington-Smythe", "Ravenscroft-Hughes",
           "Featherstonehaugh", "Blackwood-Pemberton", "Ashby-de-la-Zouch",
           "Castellano-O'Sullivan", "Abernathy-Winterbottom", "Fitzgerald-Thorne",
           "Okonkwo-Bradshaw"),
    "de": ("von Hohenberg-Süßmilch", "Schäfer-Großkopf", "Müller-Lüdenscheidt",
           "Freiherr von Weißenfels", "Österreicher-Bäumler", "Zimmermann-Kößler",
           "Graf von Rüdesheim", "Löwenthal-Brückner", "Hoffmann-Schönberger",
           "Wüstenhöfer-Kühn"),
}
TOWN_HALL_DEPARTMENTS: dict[Language, tuple[str, ...]] = {
    "en": ("Customer Success EMEA, Manchester", "People & Culture, London",
           "Platform Engineering, Edinburgh", "Finance Operations, Dublin",
           "Research & Development, Bristol"),
    "de": ("Vertrieb Süd, Köln", "Personalentwicklung, Düsseldorf", "Kundenservice, München",
           "Finanzbuchhaltung, Hamburg", "Forschung & Entwicklung, Stuttgart"),
}
TOWN_HALL_PEOPLE = 1000
TOWN_HALL_GROUPS = 200


def teams_id(language: Language, index: int) -> str:
    """A Teams user id as the roster hands it over (never to be shown on a card)."""
    return f"29:1{language}{index:04d}kXq7PzR4mN8vT2wY5bH3jL6cF9dG0sA-HbQ"


def breakout_members(language: Language, names: Sequence[str]) -> tuple[Member, ...]:
    return tuple(Member(teams_id(language, index), name) for index, name in enumerate(names))


def ids_of(members: Sequence[Member], names: Sequence[str]) -> frozenset[str]:
    return frozenset(member.id for member in members if member.name in names)


def set_text(*sets: Sequence[str]) -> str:
    """Apart/together sets as the handler writes them into the draft (`_set_text`)."""
    return "; ".join(", ".join(sorted(names)) for names in sets)


def planned_groups(members: Sequence[Member], groups: int, *, topics: Sequence[str] = (),
                   constraints: Constraints | None = None) -> tuple[GroupView, ...]:
    """The round planned by the engine and shown by name, as the handler does (`_group_views`)."""
    plan = plan_breakout(members, groups=groups, constraints=constraints or Constraints(),
                         topics=topics, seed=ROUND_SEED)
    names = {member.id: member.name for member in members}
    return tuple(GroupView(number=group.number, members=tuple(names[i] for i in group.members),
                           topic=group.topic, facilitator=names[group.facilitator],
                           presenter=names[group.presenter]) for group in plan.groups)


def draft_problem(language: Language, people: int, groups: int) -> str:
    """Why the draft has no preview, as the handler words it (InvalidBreakout, translated)."""
    try:
        group_count(people, groups=groups)
    except InvalidBreakout as error:
        return t(error.code, language, **{key: inert(value) if isinstance(value, str) else value
                                          for key, value in error.params.items()})
    raise AssertionError(f"{people} people can form {groups} groups")


@dataclass(frozen=True)
class TeamRound:
    """The team's round: who takes part, who is left out, and the groups planned."""

    members: tuple[Member, ...]  # all 25, with their Teams ids
    included: tuple[str, ...]
    excluded: tuple[str, ...]
    groups: tuple[GroupView, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(member.id for member in self.members)


@cache
def team_round(language: Language) -> TeamRound:
    """23 of the team's 25 in 5 groups with topics; 3 kept apart and 2 kept together."""
    everyone = breakout_members(language, BREAKOUT_TEAM[content(language)])
    taking_part = tuple(m for m in everyone if m.name not in BREAKOUT_LEFT_OUT[content(language)])
    constraints = Constraints(apart=(ids_of(everyone, BREAKOUT_APART[content(language)]),),
                              together=(ids_of(everyone, BREAKOUT_TOGETHER[content(language)]),))
    groups = planned_groups(taking_part, 5, topics=BREAKOUT_TOPICS[content(language)],
                            constraints=constraints)
    return TeamRound(everyone, tuple(m.name for m in taking_part),
                     BREAKOUT_LEFT_OUT[content(language)], groups)


def breakout_case(state: str, language: Language, card: CardOrBuild, *,
                  user_texts: Sequence[str], ids: Sequence[str] = (), snapshot: bool = True,
                  known_problems: Sequence[tuple[str, str]] = ()) -> Case:
    """A breakout card: the names and topics people typed are user text, Teams ids are never
    shown."""
    return Case(state, language, card, user_texts=tuple(user_texts), hidden_texts=tuple(ids),
                snapshot=snapshot, known_problems=tuple(known_problems))


def team_texts(language: Language) -> tuple[str, ...]:
    return (*BREAKOUT_TEAM[content(language)], *BREAKOUT_TOPICS[content(language)])


def breakout_form_empty(language: Language) -> Case:
    return breakout_case("breakout_form_empty", language,
                         render_breakout_form(language=language, owner=FORM_OWNER),
                         user_texts=())


def breakout_form_error(language: Language) -> Case:
    """The form back after a duration of 600 minutes (the handler's error, translated)."""
    try:
        check_duration(600)
    except BreakoutProblem as error:
        message = t(error.code, language, **error.params)
    return breakout_case("breakout_form_error", language,
                         render_breakout_form(language=language, error=message,
                                              owner=FORM_OWNER), user_texts=())


def team_draft(language: Language, *, notice: str | None = None) -> DraftView:
    team = team_round(language)
    return DraftView(round_id=ROUND_ID, source=Source.ROSTER, included=team.included,
                     excluded=team.excluded, groups=team.groups,
                     duration_minutes=BREAKOUT_MINUTES, topics=BREAKOUT_TOPICS[content(language)],
                     apart=set_text(BREAKOUT_APART[content(language)]),
                     together=set_text(BREAKOUT_TOGETHER[content(language)]), notice=notice)


def breakout_draft_roster(language: Language) -> Case:
    return breakout_case("breakout_draft_roster", language,
                         render_draft(team_draft(language), language=language),
                         user_texts=team_texts(language), ids=team_round(language).ids)


def breakout_draft_updated_notice(language: Language) -> Case:
    """The moderator's own copy after "Update draft", with the confirmation as its notice."""
    card = render_draft(team_draft(language, notice=t("breakout.updated", language)),
                        language=language)
    return breakout_case("breakout_draft_updated_notice", language, card,
                         user_texts=team_texts(language), ids=team_round(language).ids)


def present_members(language: Language) -> tuple[Member, ...]:
    """9 people in the meeting so far (Teams' join events): `breakout 3`."""
    return breakout_members(language, BREAKOUT_TEAM[content(language)][5:14])


def breakout_draft_present(language: Language) -> Case:
    members = present_members(language)
    view = DraftView(round_id=ROUND_ID, source=Source.PRESENT,
                     included=tuple(m.name for m in members), excluded=(),
                     groups=planned_groups(members, 3))
    return breakout_case("breakout_draft_present", language, render_draft(view, language=language),
                         user_texts=tuple(m.name for m in members), ids=[m.id for m in members])


def breakout_draft_opt_in_empty(language: Language) -> Case:
    """Nobody present and no roster: nobody has clicked "I'm in" yet for `breakout 4`."""
    view = DraftView(round_id=ROUND_ID, source=Source.OPT_IN, included=(), excluded=(),
                     groups=(), problem=draft_problem(language, 0, 4))
    return breakout_case("breakout_draft_opt_in_empty", language,
                         render_draft(view, language=language), user_texts=())


def breakout_draft_opt_in_joined(language: Language) -> Case:
    """The clicker's own copy after a fourth person clicked "I'm in" for `breakout 2`."""
    members = breakout_members(language, BREAKOUT_TEAM[content(language)][14:18])
    view = DraftView(round_id=ROUND_ID, source=Source.OPT_IN,
                     included=tuple(m.name for m in members), excluded=(),
                     groups=planned_groups(members, 2), notice=t("breakout.joined", language))
    return breakout_case("breakout_draft_opt_in_joined", language,
                         render_draft(view, language=language),
                         user_texts=tuple(m.name for m in members), ids=[m.id for m in members])


def breakout_assignment_timer(language: Language) -> Case:
    card, = render_assignment(ROUND_ID, team_round(language).groups, language=language,
                              ends_at_iso=ENDS_AT_ISO, round_number=1)
    return breakout_case("breakout_assignment_timer", language, card,
                         user_texts=team_texts(language), ids=team_round(language).ids)


def breakout_assignment_no_timer(language: Language) -> Case:
    """The second round of the day, from the people in the meeting, without a time limit."""
    members = present_members(language)
    card, = render_assignment(ROUND_ID, planned_groups(members, 3), language=language,
                              ends_at_iso=None, round_number=2)
    return breakout_case("breakout_assignment_no_timer", language, card,
                         user_texts=tuple(m.name for m in members), ids=[m.id for m in members])


def private_group(language: Language) -> GroupView:
    return team_round(language).groups[1]


def breakout_private_presenter(language: Language) -> Case:
    card = render_private_assignment(ROUND_ID, private_group(language), is_presenter=True,
                                     language=language)
    return breakout_case("breakout_private_presenter", language, card,
                         user_texts=team_texts(language), ids=team_round(language).ids)


def breakout_private_member(language: Language) -> Case:
    card = render_private_assignment(ROUND_ID, private_group(language), is_presenter=False,
                                     language=language)
    return breakout_case("breakout_private_member", language, card,
                         user_texts=team_texts(language), ids=team_round(language).ids)


def breakout_copy_list(language: Language) -> Case:
    card = render_copy_list(ROUND_ID, team_round(language).groups, language=language)
    return breakout_case("breakout_copy_list", language, card, user_texts=team_texts(language),
                         ids=team_round(language).ids)


def breakout_report_form_empty(language: Language) -> Case:
    card = render_report_form(ROUND_ID, private_group(language), language=language)
    return breakout_case("breakout_report_form_empty", language, card,
                         user_texts=team_texts(language), ids=team_round(language).ids)


REPORT_TYPED: dict[Language, tuple[tuple[str, str, str], str]] = {
    "en": (("Every new colleague gets a buddy for the first month", "",
            "A shared checklist for the first week: laptop, accounts, building pass, team "
            "introductions, a first small task and lunch with the team, kept up to date by "
            "whoever onboarded someone last, so that nothing is forgotten again"),
           "Ask HR whether the buddy time can count as working time."),
    "de": (("Jede neue Kollegin und jeder neue Kollege bekommt einen Paten für den ersten Monat",
            "",
            "Eine gemeinsame Checkliste für die erste Woche: Laptop, Zugänge, Hausausweis, "
            "Vorstellung im Team, eine erste kleine Aufgabe und ein Mittagessen mit dem Team, "
            "gepflegt von allen, die zuletzt jemanden eingearbeitet haben"),
           "Bei der Personalabteilung fragen, ob die Patenzeit als Arbeitszeit zählt."),
}


def report_error(points: Sequence[str], note: str, language: Language) -> str:
    """The error `submit_report` shows for what was typed (the engine's code, translated)."""
    try:
        report(1, list(points), note)
    except BreakoutProblem as error:
        return t(error.code, language, **error.params)
    raise AssertionError("the report is valid")


def breakout_report_form_error(language: Language) -> Case:
    """Back with the error and everything typed: the third key point is too long."""
    points, note = REPORT_TYPED[content(language)]
    card = render_report_form(ROUND_ID, private_group(language), language=language,
                              error=report_error(points, note, language), points=points,
                              note=note)
    return breakout_case("breakout_report_form_error", language, card,
                         user_texts=(*team_texts(language), *filter(None, points), note),
                         ids=team_round(language).ids)


@cache
def retro_groups(language: Language) -> tuple[GroupView, ...]:
    members = breakout_members(language, BREAKOUT_TEAM[content(language)][:12])
    return planned_groups(members, 3, topics=RETRO_TOPICS[content(language)])


def retro_reports(language: Language) -> dict[int, Report]:
    return {group: report(group, list(points), note)
            for group, (points, note) in RETRO_REPORTS[content(language)].items()}


def breakout_results_wall(language: Language) -> Case:
    """Groups 1 and 3 submitted results; group 2 did not."""
    card, = render_results_wall(retro_groups(language), retro_reports(language),
                                language=language, round_number=1)
    typed = [text for points, note in RETRO_REPORTS[content(language)].values()
             for text in (*points, note) if text]
    return breakout_case("breakout_results_wall", language, card,
                         user_texts=(*BREAKOUT_TEAM[content(language)][:12],
                                     *RETRO_TOPICS[content(language)], *typed),
                         ids=[teams_id(language, index) for index in range(12)])


# ---------------------------------------------------------------------------- hostile text

EVE = "[Eve](https://evil.example)"
MALLORY = "_Mallory_"
HEADING = "# Heading"
MALICIOUS_BREAKOUT_TEXTS = (MALICIOUS, EVE, MALLORY, HEADING)


def malicious_groups(language: Language) -> tuple[GroupView, ...]:
    """A name, a topic and both roles carry Markdown, a link and a mention."""
    plain = {"en": "Plain topic", "de": "Schlichtes Thema"}[content(language)]
    return (GroupView(1, (ANNA, JONAS, MALICIOUS), topic=MALICIOUS, facilitator=JONAS,
                      presenter=MALICIOUS),
            GroupView(2, (EVE, LEA, MALLORY), topic=plain, facilitator=EVE, presenter=MALLORY))


def malicious_breakout_case(state: str, language: Language, card: dict[str, Any],
                            *extra_texts: str) -> Case:
    return breakout_case(state, language, card, snapshot=False,
                         user_texts=(*MALICIOUS_BREAKOUT_TEXTS, *extra_texts))


def breakout_malicious_draft(language: Language) -> Case:
    groups = malicious_groups(language)
    view = DraftView(round_id=ROUND_ID, source=Source.ROSTER,
                     included=(ANNA, JONAS, MALICIOUS, EVE, LEA, MALLORY),
                     excluded=(MALICIOUS + " (away)", HEADING), groups=groups,
                     topics=(MALICIOUS, groups[1].topic or ""), apart=set_text((MALICIOUS, EVE)),
                     together=set_text((ANNA, MALLORY)))
    return malicious_breakout_case("breakout_malicious_draft", language,
                                   render_draft(view, language=language))


def breakout_malicious_assignment(language: Language) -> Case:
    card, = render_assignment(ROUND_ID, malicious_groups(language), language=language,
                              ends_at_iso=ENDS_AT_ISO, round_number=1)
    return malicious_breakout_case("breakout_malicious_assignment", language, card)


def breakout_malicious_private(language: Language) -> Case:
    card = render_private_assignment(ROUND_ID, malicious_groups(language)[0], is_presenter=True,
                                     language=language)
    return malicious_breakout_case("breakout_malicious_private", language, card)


def breakout_malicious_copy_list(language: Language) -> Case:
    card = render_copy_list(ROUND_ID, malicious_groups(language), language=language)
    return malicious_breakout_case("breakout_malicious_copy_list", language, card)


MALICIOUS_POINTS = (MALICIOUS, HEADING, MALICIOUS * 4)  # the third is too long (232 characters)


def breakout_malicious_report_form(language: Language) -> Case:
    card = render_report_form(ROUND_ID, malicious_groups(language)[0], language=language,
                              error=report_error(MALICIOUS_POINTS, MALICIOUS, language),
                              points=MALICIOUS_POINTS, note=MALICIOUS)
    return malicious_breakout_case("breakout_malicious_report_form", language, card)


def breakout_malicious_results_wall(language: Language) -> Case:
    reports = {1: report(1, [MALICIOUS, EVE], MALICIOUS), 2: report(2, [HEADING], MALLORY)}
    card, = render_results_wall(malicious_groups(language), reports, language=language,
                                round_number=1)
    return malicious_breakout_case("breakout_malicious_results_wall", language, card)


# ---------------------------------------------------------------------------- town hall


def town_hall_names(language: Language) -> tuple[str, ...]:
    """1,000 distinct display names of 48 to 82 characters."""
    return tuple(f"{first} {surname} ({department})"
                 for department in TOWN_HALL_DEPARTMENTS[content(language)]
                 for surname in TOWN_HALL_SURNAMES[content(language)]
                 for first in TOWN_HALL_FIRST[content(language)])


@cache
def town_hall_members(language: Language) -> tuple[Member, ...]:
    return breakout_members(language, town_hall_names(language))


@cache
def town_hall_groups(language: Language, groups: int = TOWN_HALL_GROUPS) -> tuple[GroupView, ...]:
    return planned_groups(town_hall_members(language), groups)


def town_hall_assignment(language: Language,
                         groups: int = TOWN_HALL_GROUPS) -> list[dict[str, Any]]:
    """The published town hall: several cards (one message each), the first with the buttons."""
    return render_assignment(ROUND_ID, town_hall_groups(language, groups), language=language,
                             ends_at_iso=ENDS_AT_ISO, round_number=1)


def town_hall_case(state: str, language: Language, build: Callable[[], dict[str, Any]], *,
                   known_problems: Sequence[tuple[str, str]] = ()) -> Case:
    """A town hall card, built when first needed: planning 1,000 people takes a while."""
    members = town_hall_members(language)
    return breakout_case(state, language, build, user_texts=[m.name for m in members],
                         ids=[m.id for m in members], snapshot=False,
                         known_problems=known_problems)


def breakout_town_hall_first_part(language: Language) -> Case:
    return town_hall_case("breakout_town_hall_first_part", language,
                          lambda: town_hall_assignment(language)[0])


def breakout_town_hall_last_part(language: Language) -> Case:
    return town_hall_case("breakout_town_hall_last_part", language,
                          lambda: town_hall_assignment(language)[-1])


def breakout_town_hall_draft(language: Language) -> Case:
    def build() -> dict[str, Any]:
        members = town_hall_members(language)
        view = DraftView(round_id=ROUND_ID, source=Source.PRESENT,
                         included=tuple(m.name for m in members), excluded=(),
                         groups=town_hall_groups(language), duration_minutes=15)
        return render_draft(view, language=language)

    return town_hall_case("breakout_town_hall_draft", language, build)


def breakout_town_hall_copy_list(language: Language) -> Case:
    return town_hall_case(
        "breakout_town_hall_copy_list", language,
        lambda: render_copy_list(ROUND_ID, town_hall_groups(language), language=language))


TOWN_HALL_POINTS: dict[Language, tuple[str, ...]] = {
    "en": ("Clearer priorities from leadership", "More time for cross-team projects"),
    "de": ("Klarere Prioritäten von der Geschäftsführung", "Mehr Zeit für teamübergreifende "
                                                             "Projekte"),
}


def breakout_town_hall_results_wall(language: Language) -> Case:
    """150 of the 200 groups submitted two short key points each."""
    def build() -> dict[str, Any]:
        reports = {number: report(number, list(TOWN_HALL_POINTS[content(language)]), "")
                   for number in range(1, TOWN_HALL_GROUPS + 1) if number % 4}
        cards = render_results_wall(town_hall_groups(language), reports, language=language,
                                    round_number=1)
        assert len(cards) > 1  # a wall this long comes in parts
        return cards[0]

    return town_hall_case("breakout_town_hall_results_wall", language, build)


HALVES = 2  # `breakout 2` in the town hall: two halves of 500 long names


def breakout_town_hall_halves_assignment(language: Language) -> Case:
    return town_hall_case(
        "breakout_town_hall_halves_assignment", language,
        lambda: town_hall_assignment(language, HALVES)[0])


def breakout_town_hall_halves_private(language: Language) -> Case:
    return town_hall_case(
        "breakout_town_hall_halves_private", language,
        lambda: render_private_assignment(ROUND_ID, town_hall_groups(language, HALVES)[0],
                                          is_presenter=True, language=language))


def breakout_town_hall_halves_draft(language: Language) -> Case:
    def build() -> dict[str, Any]:
        members = town_hall_members(language)
        view = DraftView(round_id=ROUND_ID, source=Source.PRESENT,
                         included=tuple(m.name for m in members), excluded=(),
                         groups=town_hall_groups(language, HALVES))
        return render_draft(view, language=language)

    return town_hall_case("breakout_town_hall_halves_draft", language, build)


BREAKOUT_BUILDERS: tuple[Callable[[Language], Case], ...] = (
    breakout_form_empty, breakout_form_error, breakout_draft_roster,
    breakout_draft_updated_notice, breakout_draft_present, breakout_draft_opt_in_empty,
    breakout_draft_opt_in_joined, breakout_assignment_timer, breakout_assignment_no_timer,
    breakout_private_presenter, breakout_private_member, breakout_copy_list,
    breakout_report_form_empty, breakout_report_form_error, breakout_results_wall,
    breakout_malicious_draft, breakout_malicious_assignment, breakout_malicious_private,
    breakout_malicious_copy_list, breakout_malicious_report_form,
    breakout_malicious_results_wall,
    breakout_town_hall_first_part, breakout_town_hall_last_part, breakout_town_hall_draft,
    breakout_town_hall_copy_list, breakout_town_hall_results_wall,
    breakout_town_hall_halves_assignment, breakout_town_hall_halves_private,
    breakout_town_hall_halves_draft,
)


# ---------------------------------------------------------------------------- engagement summaries

MEETING_ID = "meeting-3b9d02"
SUMMARY_HELD_ON = datetime(2024, 5, 14, 9, 0, tzinfo=UTC)  # the all-hands of the Q&A states
EMPTY_HELD_ON = datetime(2024, 5, 21, 9, 0, tzinfo=UTC)  # a week later
MEETING_CHAT = "19:meeting_NjQ3ZTk0YjItMzQ1Ni00@thread.v2"
CREATOR_KEY = "5f1e0c9a7b3d2e4f6a8b0c1d"  # a keyed hash, as storage keeps a poll's creator
REPORT_URL = "https://resonanz.example.org/reports/Xq3vT9kLm2PzR8wY5bH4jN7cF1dG6sA0eUiOp"
REPORT_HOURS = 72


def summary_participants(language: Language) -> tuple[str, ...]:
    """Who was in the meeting, by display name and Teams id, as the roster and the ballots'
    keys would know them. Summaries are built from aggregates only: none of this may reach the
    card."""
    team = BREAKOUT_TEAM[content(language)]
    return (*team, *(teams_id(language, index) for index in range(len(team))), *VOTER_IDS,
            ASKER_TAG, CREATOR_KEY)


def poll_summary(language: Language, poll: Poll, tally: Tally) -> PollSummary:
    """A poll's aggregates as the summary builder takes them from storage: the tally, withheld
    below 3 ballots, else every option with its count (bot/summaries/gathering._poll_summary)."""
    stored = StoredPoll(poll, MEETING_CHAT, CREATOR_KEY, locale=language)
    return _poll_summary(stored, tally, POLICY)


def choice_poll(language: Language, question: str, options: Sequence[str],
                *counts: int) -> PollSummary:
    """A closed poll (an open anonymous one shows only its turnout: Policy.poll_result)."""
    poll = close_poll(make_poll(question, options), now=T0)
    return poll_summary(language, poll, single(poll, *counts))


def rating_poll(language: Language, question: str, *counts: int) -> PollSummary:
    """`counts[i]` ballots rated i + 1, closed."""
    poll = close_poll(make_poll(question, kind=PollKind.RATING), now=T0)
    return poll_summary(language, poll, single(poll, *counts))


def text_poll(language: Language, question: str, answers: Sequence[str]) -> PollSummary:
    """A closed open-text poll: an open one shows only its turnout (Policy.poll_result)."""
    poll = close_poll(make_poll(question, kind=PollKind.TEXT), now=T0)
    return poll_summary(language, poll, tally_answers(answers))


def qna_summary(qna: QnaBoard) -> QnaSummary:
    """A board's aggregates as the summary builder takes them (bot/summary_service._qna): counts
    by status, and the texts and upvotes (never the askers) of the questions on the board."""
    on_board = (QuestionStatus.OPEN, QuestionStatus.ANSWERING, QuestionStatus.ANSWERED)
    status = [question.status for question in qna.questions]
    visible = [QuestionSummary(q.text, qna.votes.get(q.id, 0),
                               q.status is QuestionStatus.ANSWERED)
               for q in qna.questions if q.status in on_board]
    return QnaSummary(
        asked=len(status), answered=status.count(QuestionStatus.ANSWERED),
        open=sum(s in (QuestionStatus.OPEN, QuestionStatus.ANSWERING, QuestionStatus.PENDING)
                 for s in status),
        dismissed=status.count(QuestionStatus.DISMISSED),
        merged=status.count(QuestionStatus.MERGED),
        top=top_questions(visible),
        open_items=top_questions([q for q in visible if not q.answered], limit=3))


def summary_case(state: str, language: Language, summary: EngagementSummary, *,
                 user_texts: Sequence[str] = (), hidden_texts: Sequence[str] = (),
                 snapshot: bool = True,
                 known_problems: Sequence[tuple[str, str]] = ()) -> Case:
    """The summary card posted to the meeting chat. Everything in a summary that people typed
    (the meeting's title, poll questions, options and answers, questions, themes, breakout
    topics and results) is user text; the participants must never appear."""
    card = render_summary_card(summary, meeting_id=MEETING_ID, language=language,
                               policy=POLICY)
    typed = (summary.title, *user_texts) if summary.title else tuple(user_texts)
    return Case(state, language, card, user_texts=typed,
                hidden_texts=(*summary_participants(language), *hidden_texts),
                snapshot=snapshot, known_problems=tuple(known_problems))


SUMMARY_TITLES: dict[Language, dict[str, str]] = {
    "en": {"empty": "Weekly team sync", "full": "Quarterly all-hands, customer service",
           "folding": "Support team meeting", "polls": "Workshop: how we work together",
           "one": "Planning session"},
    "de": {"empty": "Wöchentliche Teamrunde", "full": "Quartals-All-Hands Kundenservice",
           "folding": "Teambesprechung Support", "polls": "Workshop: So arbeiten wir zusammen",
           "one": "Planungsrunde"},
}


def summary_empty(language: Language) -> Case:
    """A meeting in which nothing happened (yet): no polls, no questions, no breakouts."""
    summary = EngagementSummary(SUMMARY_TITLES[content(language)]["empty"], EMPTY_HELD_ON, Reach(0))
    return summary_case("summary_empty", language, summary)


QuestionAndOptions = tuple[str, tuple[str, ...]]
FULL_POLLS: dict[Language, tuple[QuestionAndOptions, str, QuestionAndOptions]] = {
    "en": (("Where should the summer party take place?",
            ("Beer garden by the river", "Rooftop terrace", "Office courtyard")),
           "How useful was the new onboarding plan?",
           ("Should the all-hands move to Thursdays?", ("Yes, let's move it", "Keep Tuesdays"))),
    "de": (("Wo soll das Sommerfest stattfinden?",
            ("Biergarten am Rhein", "Dachterrasse", "Innenhof im Büro")),
           "Wie hilfreich war der neue Einarbeitungsplan?",
           ("Soll das All-Hands auf donnerstags wechseln?",
            ("Ja, gerne verlegen", "Beim Dienstag bleiben"))),
}
FULL_THEMES: dict[Language, tuple[tuple[str, int], ...]] = {
    "en": (("remote days", 4), ("budget", 3), ("reorganisation", 3)),
    "de": (("Homeoffice", 4), ("Budget", 3), ("Umstrukturierung", 3)),
}
# q-05 is being answered, q-01 was answered, q-09 is open; the dismissed q-10 had 7 upvotes.
FULL_VOTES = {"q-05": 17, "q-01": 14, "q-09": 12, "q-02": 9, "q-03": 8, "q-10": 7, "q-04": 6,
              "q-06": 5, "q-11": 4, "q-07": 3, "q-12": 3, "q-08": 2, "q-13": 2, "q-14": 1}


FULL_ASKERS = {"q-05": 2, "q-09": 7}  # asked with a name: members of BREAKOUT_TEAM


def full_qna(language: Language) -> QnaBoard:
    """The all-hands board: 14 asked, 5 answered, 2 merged, 1 dismissed, 6 open. Two of the
    questions the summary shows were asked with a name, which the summary must not carry."""
    board = fourteen_asked_board(language)
    team = BREAKOUT_TEAM[content(language)]
    questions = tuple(replace(q, author=team[FULL_ASKERS[q.id]]) if q.id in FULL_ASKERS else q
                      for q in board.questions)
    return QnaBoard(board.board, questions, FULL_VOTES)


def full_summary(language: Language) -> EngagementSummary:
    (question, options), rating, (withheld, withheld_options) = FULL_POLLS[content(language)]
    reports = retro_reports(language)
    topics = RETRO_TOPICS[content(language)]
    results = tuple(GroupResult(1, group, topics[group - 1], reports[group].points,
                                reports[group].note) for group in sorted(reports))
    return EngagementSummary(
        title=SUMMARY_TITLES[content(language)]["full"], held_on=SUMMARY_HELD_ON,
        reach=Reach(reached=18, attendees=25),
        polls=(choice_poll(language, question, options, 8, 6, 4),
               rating_poll(language, rating, 0, 3, 3, 6, 3),  # 54 / 15 = 3.6
               choice_poll(language, withheld, withheld_options, 1, 1)),
        qna=qna_summary(full_qna(language)),
        themes=tuple(Count(label, value) for label, value in FULL_THEMES[content(language)]),
        sentiment=Sentiment(positive=6, neutral=5, negative=3),  # the 14 questions
        breakouts=BreakoutSummary(rounds=1, groups=3, reported=len(results), results=results))


def summary_typed(summary: EngagementSummary) -> tuple[str, ...]:
    """What people typed that a summary carries (the title aside): poll questions, options and
    answers, questions, themes, breakout topics, key points and notes."""
    other = {t("summary.other", language) for language in LANGUAGES}
    typed = [poll.question for poll in summary.polls]
    typed += [count.label for poll in summary.polls if poll.kind != PollKind.RATING.value
              for count in poll.results if count.label not in other]
    typed += [q.text for q in (*summary.qna.top, *summary.qna.open_items)]
    typed += [count.label for count in summary.themes]
    typed += [text for result in summary.breakouts.results
              for text in (result.topic, *result.points, result.note) if text]
    return tuple(dict.fromkeys(typed))


def summary_full(language: Language) -> Case:
    summary = full_summary(language)
    qna = full_qna(language)
    (_, _), _, (_, withheld_options) = FULL_POLLS[content(language)]
    return summary_case("summary_full", language, summary, user_texts=summary_typed(summary),
                        hidden_texts=(*qna.texts(QuestionStatus.DISMISSED, QuestionStatus.MERGED),
                                      *withheld_options))


# The third "poll" is open text: its question and the answers given.
SMALL_FIGURE_POLLS: dict[Language, tuple[QuestionAndOptions, QuestionAndOptions,
                                    QuestionAndOptions]] = {
    "en": (("Which day suits the team offsite?", ("Monday", "Tuesday", "Wednesday", "Thursday")),
           ("Which snacks for the next workshop?", ("Fruit bowl", "Pastries", "Mixed nuts")),
           ("What would make our meetings better?",
            ("More breaks",) * 3 + ("Shorter meetings",) * 3 + ("Remote Fridays",
                                                               "A quiet room"))),
    "de": (("Welcher Tag passt für den Teamausflug?",
            ("Montag", "Dienstag", "Mittwoch", "Donnerstag")),
           ("Welche Snacks für den nächsten Workshop?", ("Obstkorb", "Gebäck", "Nussmischung")),
           ("Was würde unsere Besprechungen besser machen?",
            ("Mehr Pausen",) * 3 + ("Kürzere Besprechungen",) * 3 + ("Homeoffice am Freitag",
                                                                     "Ein Ruheraum"))),
}


def small_figures_summary(language: Language) -> EngagementSummary:
    """Small figures shown as the closed cards showed them: Wednesday (2) and Thursday (1),
    mixed nuts (2), two open answers given once each, and 2 of the 8 open answers negative."""
    polls = SMALL_FIGURE_POLLS[content(language)]
    (days, day_options), (snacks, snack_options), (better, answers) = polls
    return EngagementSummary(
        title=SUMMARY_TITLES[content(language)]["folding"], held_on=SUMMARY_HELD_ON,
        reach=Reach(reached=14),
        polls=(choice_poll(language, days, day_options, 6, 5, 2, 1),
               choice_poll(language, snacks, snack_options, 5, 4, 2),
               text_poll(language, better, answers)),
        sentiment=Sentiment(positive=3, neutral=3, negative=2))  # the 8 open answers


def summary_small_figures(language: Language) -> Case:
    summary = small_figures_summary(language)
    return summary_case("summary_small_figures", language, summary,
                        user_texts=summary_typed(summary))


WORKSHOP_POLLS: dict[Language, tuple[tuple[str, tuple[str, str, str], tuple[int, int, int]],
                                     ...]] = {
    "en": (("Which format should the next workshop have?",
            ("Half a day on site", "Two short online sessions", "A full day offsite"), (7, 5, 3)),
           ("How should we share meeting notes?",
            ("Wiki page", "Email summary", "Shared notebook"), (8, 4, 3)),
           ("When should the weekly sync take place?",
            ("Monday morning", "Tuesday morning", "Wednesday afternoon"), (4, 6, 5)),
           ("Which tool should replace the old ticket board?",
            ("Jira", "Linear", "GitHub Projects"), (6, 3, 6)),
           ("Should we keep the Friday demo?",
            ("Yes, every week", "Every other week", "Drop it"), (9, 4, 3)),
           ("Where should we have the team lunch?",
            ("Italian place", "Thai place", "Canteen"), (5, 5, 5)),
           ("How should we split the training budget?",
            ("Conferences", "Online courses", "Books"), (3, 7, 5))),
    "de": (("Welches Format soll der nächste Workshop haben?",
            ("Halber Tag vor Ort", "Zwei kurze Online-Termine", "Ein ganzer Tag außer Haus"),
            (7, 5, 3)),
           ("Wie sollen wir Besprechungsnotizen teilen?",
            ("Wiki-Seite", "Zusammenfassung per E-Mail", "Gemeinsames Notizbuch"), (8, 4, 3)),
           ("Wann soll die wöchentliche Abstimmung stattfinden?",
            ("Montagvormittag", "Dienstagvormittag", "Mittwochnachmittag"), (4, 6, 5)),
           ("Welches Werkzeug soll das alte Ticket-Board ersetzen?",
            ("Jira", "Linear", "GitHub Projects"), (6, 3, 6)),
           ("Sollen wir die Freitags-Demo beibehalten?",
            ("Ja, jede Woche", "Alle zwei Wochen", "Abschaffen"), (9, 4, 3)),
           ("Wo machen wir das Team-Mittagessen?",
            ("Beim Italiener", "Beim Thailänder", "In der Kantine"), (5, 5, 5)),
           ("Wie sollen wir das Weiterbildungsbudget aufteilen?",
            ("Konferenzen", "Online-Kurse", "Fachbücher"), (3, 7, 5))),
}


def workshop_summary(language: Language, polls: int) -> EngagementSummary:
    return EngagementSummary(
        title=SUMMARY_TITLES[content(language)]["polls"], held_on=SUMMARY_HELD_ON,
        reach=Reach(reached=16, attendees=16),
        polls=tuple(choice_poll(language, question, options, *counts)
                    for question, options, counts in WORKSHOP_POLLS[content(language)][:polls]))


def summary_six_polls(language: Language) -> Case:
    """One poll more than the card lists."""
    summary = workshop_summary(language, 6)
    return summary_case("summary_six_polls", language, summary, user_texts=summary_typed(summary))


def summary_seven_polls(language: Language) -> Case:
    summary = workshop_summary(language, 7)
    return summary_case("summary_seven_polls", language, summary,
                        user_texts=summary_typed(summary))


ONE_VOTE_POLL: dict[Language, tuple[str, tuple[str, str]]] = {
    "en": ("Is the new room booking working for you?", ("Works fine", "Not yet")),
    "de": ("Klappt die neue Raumbuchung bei dir?", ("Klappt gut", "Noch nicht")),
}


def summary_one_person(language: Language) -> Case:
    """One person took part, in one poll, with one vote (so its result is withheld)."""
    question, options = ONE_VOTE_POLL[content(language)]
    summary = EngagementSummary(SUMMARY_TITLES[content(language)]["one"], SUMMARY_HELD_ON, Reach(1),
                                polls=(choice_poll(language, question, options, 1, 0),))
    return summary_case("summary_one_person", language, summary, user_texts=(question,),
                        hidden_texts=options)


def summary_report_link(language: Language) -> Case:
    """The report's address, sent personally to a moderator who pressed "Open the report"."""
    return Case("summary_report_link", language,
                render_report_link(REPORT_URL, language=language, hours=REPORT_HOURS),
                hidden_texts=summary_participants(language))


# ---------------------------------------------------------------------------- hostile summaries


def malicious_summary(language: Language) -> EngagementSummary:
    """Markdown, a link and a mention as the meeting's title (Teams' meetingStart/End events
    carry what the organizer typed), a poll's question, options and open answers, a question
    on the board, a theme, and a breakout topic, key points and note."""
    board = make_board()
    questions = (asked(board, 1, MALICIOUS), answered(asked(board, 2, EVE + " " + MALLORY)),
                 asked(board, 3, HEADING))
    group_one = report(1, [MALICIOUS, EVE], MALICIOUS)
    group_two = report(2, [], MALICIOUS)  # only a note: the card shows the note
    return EngagementSummary(
        title=MALICIOUS, held_on=SUMMARY_HELD_ON, reach=Reach(reached=9, attendees=12),
        polls=(choice_poll(language, MALICIOUS, (MALICIOUS + " A", "Plain option",
                                                 "<at>Jonas</at>"), 4, 3, 0),
               text_poll(language, HEADING, (MALICIOUS,) * 3 + (EVE,) * 3 + (MALLORY,) * 3)),
        qna=qna_summary(QnaBoard(board, questions, {"q-01": 5, "q-02": 3, "q-03": 1})),
        themes=(Count(MALICIOUS, 4), Count(EVE, 3)),
        sentiment=Sentiment(positive=3, neutral=4, negative=5),
        breakouts=BreakoutSummary(rounds=1, groups=2, reported=2, results=(
            GroupResult(1, 1, MALICIOUS, group_one.points, group_one.note),
            GroupResult(1, 2, HEADING, group_two.points, group_two.note))))


def summary_malicious(language: Language) -> Case:
    summary = malicious_summary(language)
    return summary_case("summary_malicious", language, summary,
                        user_texts=summary_typed(summary), snapshot=False)


def summary_largest(language: Language) -> Case:
    """The worst case for size: a 200-character title; more polls than fit, each with a
    300-character question and 10 options of 200 characters, none folded; 500-character
    questions; 8 themes; three breakout results with three 200-character key points each."""
    question = (LONG_GERMAN_QUESTION + " " + "x" * 300)[:300]
    options = [long_option(i) for i in range(10)]
    polls = tuple(choice_poll(language, question[:-1] + str(n), options, *range(3, 13))
                  for n in range(6))
    board = make_board()
    questions = tuple(asked(board, n, long_question(language, n)) for n in range(1, 7))
    point = (long_option(0) + " ")[:200]
    results = tuple(GroupResult(1, group, RETRO_TOPICS[content(language)][0] + " " + "x" * 90,
                                (point,) * 3) for group in range(1, 4))
    summary = EngagementSummary(
        title=("Quartals-All-Hands " + LONG_GERMAN_QUESTION)[:200], held_on=SUMMARY_HELD_ON,
        reach=Reach(reached=480, attendees=1000), polls=polls,
        qna=qna_summary(QnaBoard(board, questions, {q.id: 50 - len(q.id) for q in questions})),
        themes=tuple(Count(f"Thema Nummer {n} mit langem Namen", 30 - n) for n in range(8)),
        sentiment=Sentiment(positive=120, neutral=200, negative=80),
        breakouts=BreakoutSummary(rounds=1, groups=200, reported=150, results=results))
    return summary_case("summary_largest", language, summary, user_texts=summary_typed(summary),
                        snapshot=False)




SUMMARY_BUILDERS: tuple[Callable[[Language], Case], ...] = (
    summary_empty, summary_full, summary_small_figures, summary_six_polls, summary_seven_polls,
    summary_one_person, summary_report_link, summary_malicious, summary_largest,
)


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
    # Q&A board
    qna_empty, qna_five_open, qna_answering, qna_counts_open, qna_counts_reviewed,
    qna_many_open_shared, qna_show_all_page_0, qna_show_all_page_1, qna_participant_upvoted,
    qna_notice, qna_moderator, qna_reviewed_participant, qna_reviewed_shared,
    qna_duplicate_offer, qna_board_moved,
    qna_malicious_shared, qna_malicious_moderator, qna_malicious_duplicate_offer,
    qna_largest_moderator_board,
    # breakouts
    *BREAKOUT_BUILDERS,
    # engagement summaries
    *SUMMARY_BUILDERS,
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


def lines_of(element: Any) -> list[str]:
    """The lines an element shows, in order: a TextBlock's text, a RichTextBlock's runs joined,
    and a fact as "title: value"."""
    found = []
    for _, parent, key, value in walk(element):
        if key != "type":
            continue
        if value == "TextBlock":
            found.append(parent["text"])
        elif value == "RichTextBlock":
            found.append("".join(run["text"] for run in parent["inlines"]))
        elif value == "FactSet":
            found += [f"{fact['title']}: {fact['value']}" for fact in parent["facts"]]
    return found
