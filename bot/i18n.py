"""Every user-visible string, in English and German, chosen from the Teams locale."""

from __future__ import annotations

import re
import string
from typing import Any, Literal

Language = Literal["en", "de"]

MESSAGES: dict[str, dict[Language, str]] = {
    # --- general
    "error.generic": {"en": "That did not work.", "de": "Das hat nicht geklappt."},
    "error.internal": {
        "en": "Sorry, something went wrong on our side. Please try again. (Reference: {ref})",
        "de": "Entschuldigung, bei uns ist etwas schiefgegangen. Bitte versuch es noch einmal. "
              "(Referenz: {ref})"},
    "error.unknown_action": {
        "en": "This button is no longer supported. Please use a newer card.",
        "de": "Diese Schaltfläche wird nicht mehr unterstützt. Bitte nutze eine neuere Karte."},
    "error.bad_card_data": {
        "en": "This card sent incomplete data. Please try again from the latest card.",
        "de": "Diese Karte hat unvollständige Daten gesendet. Bitte versuch es mit der neuesten "
              "Karte noch einmal."},
    "error.message_too_long": {
        "en": "That message is too long ({length} characters; at most {limit}).",
        "de": "Diese Nachricht ist zu lang ({length} Zeichen; höchstens {limit})."},
    "moderator.only": {
        "en": "Only the meeting's organizers and presenters (or, outside meetings, the poll's "
              "creator) can do that.",
        "de": "Das können nur Organisator:innen und Referent:innen der Besprechung (außerhalb von "
              "Besprechungen: wer die Umfrage erstellt hat)."},
    "moderator.role_unknown": {
        "en": "I could not check your meeting role just now, so I did not do that. Please try "
              "again in a moment.",
        "de": "Ich konnte deine Rolle in der Besprechung gerade nicht prüfen und habe deshalb "
              "nichts geändert. Bitte versuch es gleich noch einmal."},
    # --- commands and help
    "command.unknown": {
        "en": "I don't know the command “{word}”. Type **help** to see what I can do.",
        "de": "Den Befehl „{word}“ kenne ich nicht. Schreib **hilfe**, um zu sehen, was ich kann."},
    "command.suggest": {
        "en": "I don't know the command “{word}”. Did you mean **{suggestion}**?",
        "de": "Den Befehl „{word}“ kenne ich nicht. Meintest du **{suggestion}**?"},
    "command.empty": {
        "en": "Hi! Type **help** to see what I can do.",
        "de": "Hallo! Schreib **hilfe**, um zu sehen, was ich kann."},
    "help.title": {"en": "Resonanz: what I can do", "de": "Resonanz: was ich kann"},
    "help.intro": {
        "en": "Write a command in the chat (with or without @mentioning me):",
        "de": "Schreib einen Befehl in den Chat (mit oder ohne @Erwähnung):"},
    "help.footer": {
        "en": "Anonymous means anonymous: Resonanz stores no names or Teams IDs with votes.",
        "de": "Anonym heißt anonym: Resonanz speichert keine Namen oder Teams-IDs zu Stimmen."},
    "help.help.usage": {"en": "help", "de": "hilfe"},
    "help.help.summary": {"en": "Show this overview.", "de": "Zeigt diese Übersicht."},
    "help.poll.usage": {
        "en": "poll <question> | <option> | <option> …",
        "de": "umfrage <Frage> | <Option> | <Option> …"},
    "help.poll.summary": {
        "en": "Start an anonymous poll at once; **poll** alone opens a form with more choices "
              "(multiple choice, rating, open text, results after closing, auto-close).",
        "de": "Startet sofort eine anonyme Umfrage; **umfrage** allein öffnet ein Formular mit "
              "mehr Möglichkeiten (Mehrfachauswahl, Bewertung, Freitext, Ergebnisse erst nach "
              "dem Schließen, automatisches Schließen)."},
    # --- poll creation
    "poll.invalid": {"en": "That poll cannot be created.", "de": "Diese Umfrage geht so nicht."},
    "poll.question_empty": {
        "en": "Please give the poll a question, e.g. **poll Lunch? | Pizza | Salad**.",
        "de": "Bitte gib der Umfrage eine Frage, z. B. **umfrage Mittagessen? | Pizza | Salat**."},
    "poll.question_too_long": {
        "en": "The question is too long ({length} characters; at most {limit}).",
        "de": "Die Frage ist zu lang ({length} Zeichen; höchstens {limit})."},
    "poll.too_few_options": {
        "en": "A poll needs at least {minimum} options, separated by |, e.g. "
              "**poll Lunch? | Pizza | Salad**.",
        "de": "Eine Umfrage braucht mindestens {minimum} Optionen, getrennt durch |, z. B. "
              "**umfrage Mittagessen? | Pizza | Salat**."},
    "poll.too_many_options": {
        "en": "A poll can have at most {maximum} options (you gave {count}).",
        "de": "Eine Umfrage kann höchstens {maximum} Optionen haben (du hast {count} angegeben)."},
    "poll.option_too_long": {
        "en": "The option “{option}…” is too long (at most {limit} characters).",
        "de": "Die Option „{option}…“ ist zu lang (höchstens {limit} Zeichen)."},
    "poll.duplicate_option": {
        "en": "The option “{option}” appears twice. Each option must be different.",
        "de": "Die Option „{option}“ kommt doppelt vor. Jede Option muss anders sein."},
    "poll.auto_close_range": {
        "en": "Auto-close must be between 1 and {limit} minutes.",
        "de": "Automatisches Schließen muss zwischen 1 und {limit} Minuten liegen."},
    "poll.unknown": {
        "en": "I can't find this poll any more.",
        "de": "Diese Umfrage finde ich nicht mehr."},
    "poll.closed": {
        "en": "This poll is closed; votes can no longer be cast or changed.",
        "de": "Diese Umfrage ist geschlossen; Stimmen können nicht mehr abgegeben oder geändert "
              "werden."},
    "poll.already_closed": {"en": "This poll is already closed.",
                            "de": "Diese Umfrage ist bereits geschlossen."},
    "poll.already_open": {"en": "This poll is already open.",
                          "de": "Diese Umfrage ist bereits offen."},
    # --- ballots
    "ballot.invalid": {"en": "That vote is not valid.", "de": "Diese Stimme ist ungültig."},
    "ballot.nothing_chosen": {"en": "Please choose an option first.",
                              "de": "Bitte wähle zuerst eine Option."},
    "ballot.pick_one": {"en": "Please choose exactly one option.",
                        "de": "Bitte wähle genau eine Option."},
    "ballot.unknown_option": {"en": "That option is not part of this poll.",
                              "de": "Diese Option gehört nicht zu dieser Umfrage."},
    "ballot.answer_empty": {"en": "Please write an answer first.",
                            "de": "Bitte schreib zuerst eine Antwort."},
    "ballot.answer_too_long": {"en": "Your answer is too long (at most {limit} characters).",
                               "de": "Deine Antwort ist zu lang (höchstens {limit} Zeichen)."},
    # --- poll card
    "card.poll.anonymous": {"en": "Anonymous poll", "de": "Anonyme Umfrage"},
    "card.poll.named": {"en": "Poll (not anonymous)", "de": "Umfrage (nicht anonym)"},
    "card.poll.open": {"en": "open", "de": "offen"},
    "card.poll.closed": {"en": "closed", "de": "geschlossen"},
    "card.poll.closes_at": {"en": "Closes at {time}", "de": "Schließt um {time}"},
    "card.poll.choose": {"en": "Your choice", "de": "Deine Wahl"},
    "card.poll.choose_many": {"en": "Your choices (several possible)",
                              "de": "Deine Wahl (mehrere möglich)"},
    "card.poll.rate": {"en": "Your rating (1 = low, 5 = high)",
                       "de": "Deine Bewertung (1 = niedrig, 5 = hoch)"},
    "card.poll.answer": {"en": "Your answer", "de": "Deine Antwort"},
    "card.poll.answer_placeholder": {"en": "Type your answer", "de": "Schreib deine Antwort"},
    "card.poll.vote": {"en": "Vote", "de": "Abstimmen"},
    "card.poll.close": {"en": "Close poll", "de": "Umfrage schließen"},
    "card.poll.reopen": {"en": "Reopen poll", "de": "Umfrage wieder öffnen"},
    "card.poll.reveal": {"en": "Show results now", "de": "Ergebnisse jetzt zeigen"},
    "card.poll.votes": {"en": "{count} votes", "de": "{count} Stimmen"},
    "card.poll.one_vote": {"en": "1 vote", "de": "1 Stimme"},
    "card.poll.no_votes": {"en": "No votes yet", "de": "Noch keine Stimmen"},
    "card.poll.answers": {"en": "{count} answers", "de": "{count} Antworten"},
    "card.poll.one_answer": {"en": "1 answer", "de": "1 Antwort"},
    "card.poll.no_answers": {"en": "No answers yet", "de": "Noch keine Antworten"},
    "card.poll.too_few": {
        "en": "Results appear from {minimum} votes, so that nobody's vote can be singled out.",
        "de": "Ergebnisse erscheinen ab {minimum} Stimmen, damit keine einzelne Stimme "
              "erkennbar ist."},
    "card.poll.until_closed": {
        "en": "Results are shown when the poll closes.",
        "de": "Die Ergebnisse werden gezeigt, wenn die Umfrage schließt."},
    "card.poll.as_of": {
        "en": "Results as of {count} votes; they update after every {minimum} new or changed "
              "votes.",
        "de": "Ergebnisse beim Stand von {count} Stimmen; sie werden nach jeweils {minimum} "
              "neuen oder geänderten Stimmen aktualisiert."},
    "card.poll.average": {"en": "Average: {value} of 5", "de": "Durchschnitt: {value} von 5"},
    "card.poll.top_answers": {"en": "Most frequent answers", "de": "Häufigste Antworten"},
    "card.poll.answers_after_close": {
        "en": "Answers are shown when the poll closes.",
        "de": "Die Antworten werden gezeigt, wenn die Umfrage schließt."},
    "card.poll.final": {"en": "Final result", "de": "Endergebnis"},
    "card.poll.who": {"en": "Chosen by: {names}", "de": "Gewählt von: {names}"},
    "card.poll.privacy_anonymous": {
        "en": "Anonymous: stored is only your choice under a key for this poll, never your name "
              "or Teams ID; no one, including the organizer, can see who voted what.",
        "de": "Anonym: Gespeichert wird nur deine Wahl unter einem Schlüssel für diese Umfrage, "
              "nie dein Name oder deine Teams-ID; niemand, auch nicht die Organisation, sieht, "
              "wer was gewählt hat."},
    "card.poll.privacy_named": {
        "en": "Not anonymous: your name is stored with your vote and shown with the results.",
        "de": "Nicht anonym: Dein Name wird mit deiner Stimme gespeichert und bei den "
              "Ergebnissen gezeigt."},
    # --- personal receipt
    "receipt.voted": {"en": "You voted: ", "de": "Deine Stimme: "},
    "receipt.answered": {"en": "Your answer: ", "de": "Deine Antwort: "},
    "receipt.changed": {"en": "Your vote was changed.", "de": "Deine Stimme wurde geändert."},
    "receipt.can_change": {
        "en": "You can change your vote until the poll closes. Only you see this card.",
        "de": "Du kannst deine Stimme ändern, bis die Umfrage schließt. Nur du siehst diese "
              "Karte."},
    "receipt.change": {"en": "Change vote", "de": "Stimme ändern"},
    "receipt.not_voted": {"en": "You have not voted yet.", "de": "Du hast noch nicht abgestimmt."},
    # --- moderation outcomes
    "poll.closed_by_moderator": {"en": "Poll closed.", "de": "Umfrage geschlossen."},
    "poll.reopened": {"en": "Poll reopened.", "de": "Umfrage wieder geöffnet."},
    "poll.revealed": {"en": "Results are now shown.", "de": "Die Ergebnisse werden jetzt gezeigt."},
    "poll.created": {"en": "Poll created: ", "de": "Umfrage erstellt: "},
    # --- creation form
    "form.title": {"en": "New poll", "de": "Neue Umfrage"},
    "form.question": {"en": "Question", "de": "Frage"},
    "form.question_placeholder": {"en": "What would you like to ask?",
                                  "de": "Was möchtest du fragen?"},
    "form.options": {"en": "Options, one per line (2–10; not needed for rating or open text)",
                     "de": "Optionen, eine pro Zeile (2–10; nicht nötig bei Bewertung oder "
                           "Freitext)"},
    "form.kind": {"en": "Type", "de": "Art"},
    "form.kind.single": {"en": "Single choice", "de": "Einfachauswahl"},
    "form.kind.multiple": {"en": "Multiple choice", "de": "Mehrfachauswahl"},
    "form.kind.rating": {"en": "Rating 1–5", "de": "Bewertung 1–5"},
    "form.kind.text": {"en": "Open text", "de": "Freitext"},
    "form.anonymous": {"en": "Anonymous (recommended)", "de": "Anonym (empfohlen)"},
    "form.results": {"en": "Results", "de": "Ergebnisse"},
    "form.results.live": {"en": "Live while voting", "de": "Live während der Abstimmung"},
    "form.results.on_close": {"en": "Only after closing", "de": "Erst nach dem Schließen"},
    "form.minutes": {"en": "Close automatically after … minutes (optional)",
                     "de": "Automatisch schließen nach … Minuten (optional)"},
    "form.create": {"en": "Create poll", "de": "Umfrage erstellen"},
    "form.bad_minutes": {"en": "Auto-close needs a whole number of minutes.",
                         "de": "Automatisches Schließen braucht eine ganze Zahl von Minuten."},
}


def language_of(locale: str | None) -> Language:
    """German for any `de-*` locale, English otherwise."""
    return "de" if (locale or "").lower().replace("_", "-").split("-")[0] == "de" else "en"


def t(key: str, language: Language, **params: Any) -> str:
    """The message `key` in `language`, with `{placeholders}` filled in."""
    entry = MESSAGES.get(key) or MESSAGES["error.generic"]
    template = entry[language]
    if not params:
        return template
    return template.format_map(_Defaulting(params))


_FORMATTING = re.compile(r"[\\`*_~#<>\[\]()|]+")


def inert(value: str) -> str:
    """User text quoted in a chat message (which Teams reads as Markdown), made unable to
    format, link or mention: formatting characters become spaces, addresses stop being links."""
    return " ".join(_FORMATTING.sub(" ", value).replace("://", ": //").split())


def placeholders(template: str) -> set[str]:
    """Names of the `{placeholders}` in a template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class _Defaulting(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
