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
        "en": "Only the meeting's organizers and presenters (outside meetings: whoever started "
              "it) can do that.",
        "de": "Das können nur Organisator:innen und Referent:innen der Besprechung (außerhalb "
              "von Besprechungen: wer es gestartet hat)."},
    "moderator.role_unknown": {
        "en": "I could not check your meeting role just now, so I did not do that. Please try "
              "again in a moment.",
        "de": "Ich konnte deine Rolle in der Besprechung gerade nicht prüfen und habe deshalb "
              "nichts geändert. Bitte versuch es gleich noch einmal."},
    "moderator.starters": {
        "en": "In a meeting, only its organizers and presenters can start this.",
        "de": "In einer Besprechung können das nur Organisator:innen und Referent:innen "
              "starten."},
    "scope.elsewhere": {
        "en": "This card belongs to another chat, so I did nothing. Please use it in the chat "
              "where it was posted.",
        "de": "Diese Karte gehört zu einem anderen Chat, deshalb habe ich nichts gemacht. Bitte "
              "nutze sie in dem Chat, in dem sie gepostet wurde."},
    "form.not_yours": {
        "en": "This form was opened by someone else; only they (or the meeting's organizers and "
              "presenters) can send it. Write the command again to get your own.",
        "de": "Dieses Formular hat jemand anderes geöffnet; nur diese Person (oder "
              "Organisator:innen und Referent:innen der Besprechung) kann es absenden. Schreib "
              "den Befehl noch einmal, um ein eigenes zu bekommen."},
    "help.starters_note": {
        "en": "In meetings: organizers and presenters only.",
        "de": "In Besprechungen: nur Organisator:innen und Referent:innen."},
    "storage.busy": {
        "en": "Too much is happening at once right now, so that was not saved. Please try "
              "again in a moment.",
        "de": "Gerade ist zu viel auf einmal los, deshalb wurde das nicht gespeichert. Bitte "
              "versuch es gleich noch einmal."},
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
    # --- Q&A board
    "help.questions.usage": {"en": "questions [open | reviewed]",
                             "de": "fragen [offen | geprüft]"},
    "help.questions.summary": {
        "en": "Post the Q&A board of this chat: questions asked anonymously (or with a name), "
              "upvoted, and moderated in the open. **reviewed** lets moderators approve "
              "questions first.",
        "de": "Zeigt das Fragen-Board dieses Chats: Fragen anonym (oder mit Namen) stellen, "
              "unterstützen und nachvollziehbar moderieren. **geprüft** lässt Moderierende "
              "Fragen erst freigeben."},
    "help.ask.usage": {"en": "ask <question>", "de": "frage <Frage>"},
    "help.ask.summary": {
        "en": "Put a question on the board with your name (use the board to ask anonymously).",
        "de": "Stellt eine Frage mit deinem Namen aufs Board (anonym fragst du über das Board)."},
    "qna.title": {"en": "Questions & answers", "de": "Fragen & Antworten"},
    "qna.counts": {
        "en": "{asked} asked · {answered} answered · {merged} merged · {dismissed} dismissed",
        "de": "{asked} gestellt · {answered} beantwortet · {merged} zusammengeführt · "
              "{dismissed} abgelehnt"},
    "qna.counts_pending": {"en": "{pending} waiting for review",
                           "de": "{pending} warten auf Freigabe"},
    "qna.counts_pending_one": {"en": "{pending} waiting for review",
                               "de": "{pending} wartet auf Freigabe"},
    "qna.mode.open": {"en": "Questions appear at once.",
                      "de": "Fragen erscheinen sofort."},
    "qna.mode.reviewed": {"en": "Moderators review questions before they appear.",
                          "de": "Moderierende prüfen Fragen, bevor sie erscheinen."},
    "qna.now_answering": {"en": "Now answering", "de": "Wird gerade beantwortet"},
    "qna.no_questions": {"en": "No open questions yet. Ask the first one!",
                         "de": "Noch keine offenen Fragen. Stell die erste!"},
    "qna.more": {"en": "… and {count} more open questions",
                 "de": "… und {count} weitere offene Fragen"},
    "qna.more_one": {"en": "… and {count} more open question",
                     "de": "… und {count} weitere offene Frage"},
    "qna.more_pending": {"en": "… and {count} more waiting", "de": "… und {count} weitere "
                                                               "warten"},
    "qna.more_pending_one": {"en": "… and {count} more waiting",
                             "de": "… und {count} weitere wartet"},
    "qna.requeue": {"en": "Back to the queue", "de": "Zurück in die Liste"},
    "qna.upvote": {"en": "▲ Upvote", "de": "▲ Unterstützen"},
    "qna.upvoted": {"en": "✓ Upvoted", "de": "✓ Unterstützt"},
    "qna.answered_section": {"en": "Answered ({count})", "de": "Beantwortet ({count})"},
    "qna.pending_section": {"en": "Waiting for your review ({count})",
                            "de": "Warten auf deine Freigabe ({count})"},
    "qna.approve": {"en": "Approve", "de": "Freigeben"},
    "qna.mark_answering": {"en": "Answer now", "de": "Jetzt beantworten"},
    "qna.mark_answered": {"en": "Answered", "de": "Beantwortet"},
    "qna.dismiss": {"en": "Dismiss", "de": "Ablehnen"},
    "qna.ask_label": {"en": "Your question", "de": "Deine Frage"},
    "qna.ask_placeholder": {"en": "Ask what you would not ask out loud…",
                            "de": "Frag, was du laut nicht fragen würdest …"},
    "qna.ask_anonymously": {"en": "Ask anonymously", "de": "Anonym fragen"},
    "qna.ask_named": {"en": "Ask with my name", "de": "Mit meinem Namen fragen"},
    "qna.show_all": {"en": "Show all questions", "de": "Alle Fragen zeigen"},
    "qna.next_page": {"en": "More questions", "de": "Weitere Fragen"},
    "qna.back": {"en": "Back to the board", "de": "Zurück zum Board"},
    "qna.moderate": {"en": "Moderate", "de": "Moderieren"},
    "qna.switch_to.open": {"en": "Let questions appear at once",
                           "de": "Fragen sofort erscheinen lassen"},
    "qna.switch_to.reviewed": {"en": "Review questions first", "de": "Fragen zuerst prüfen"},
    "qna.merge_title": {"en": "Merge questions", "de": "Fragen zusammenführen"},
    "qna.merge_from": {"en": "Merge this question …", "de": "Diese Frage …"},
    "qna.merge_into": {"en": "… into this one", "de": "… hiermit zusammenführen"},
    "qna.merge": {"en": "Merge", "de": "Zusammenführen"},
    "qna.privacy": {
        "en": "Anonymous questions and all upvotes are stored without names or Teams IDs; "
              "nobody, including moderators, can see who asked or upvoted. Questions asked "
              "with a name show that name.",
        "de": "Anonyme Fragen und alle Unterstützungen werden ohne Namen oder Teams-IDs "
              "gespeichert; niemand, auch nicht die Moderation, sieht, wer gefragt oder "
              "unterstützt hat. Fragen mit Namen zeigen diesen Namen."},
    "qna.similar_title": {"en": "A very similar question is already on the board:",
                          "de": "Eine sehr ähnliche Frage steht schon auf dem Board:"},
    "qna.similar_votes": {"en": "{count} upvotes so far", "de": "bisher {count}-mal unterstützt"},
    "qna.similar_votes_one": {"en": "{count} upvote so far",
                              "de": "bisher {count}-mal unterstützt"},
    "qna.similar_hint": {
        "en": "Upvote it to push it up, or post yours anyway if it asks something else.",
        "de": "Unterstütze sie, damit sie nach oben rückt, oder stell deine trotzdem, wenn sie "
              "etwas anderes fragt."},
    "qna.upvote_instead": {"en": "Upvote that one", "de": "Diese unterstützen"},
    "qna.post_anyway": {"en": "Post mine anyway", "de": "Meine trotzdem stellen"},
    "qna.moved": {"en": "The Q&A board has moved to a newer message below.",
                  "de": "Das Fragen-Board ist in eine neuere Nachricht weiter unten umgezogen."},
    "qna.asked": {"en": "Your question is on the board.", "de": "Deine Frage steht auf dem Board."},
    "qna.asked_pending": {
        "en": "Thanks! Your question will appear once a moderator approves it.",
        "de": "Danke! Deine Frage erscheint, sobald die Moderation sie freigibt."},
    "qna.asked_in_chat": {
        "en": "Added your question to the Q&A board.",
        "de": "Deine Frage steht jetzt auf dem Fragen-Board."},
    "qna.upvote_added": {"en": "You upvoted the question.", "de": "Du unterstützt die Frage."},
    "qna.upvote_removed": {"en": "You took your upvote back.",
                           "de": "Du hast deine Unterstützung zurückgenommen."},
    "qna.done": {"en": "Done.", "de": "Erledigt."},
    "qna.mode_changed.open": {"en": "Questions now appear at once.",
                              "de": "Fragen erscheinen jetzt sofort."},
    "qna.mode_changed.reviewed": {"en": "Questions now wait for review.",
                                  "de": "Fragen warten jetzt auf Freigabe."},
    "qna.invalid": {"en": "That question cannot be asked.",
                    "de": "Diese Frage geht so nicht."},
    "qna.empty": {"en": "Please write a question first.", "de": "Bitte schreib zuerst eine Frage."},
    "qna.too_long": {"en": "Your question is too long ({length} characters; at most {limit}).",
                     "de": "Deine Frage ist zu lang ({length} Zeichen; höchstens {limit})."},
    "qna.rate_limited": {
        "en": "You have asked {limit} questions in the last {minutes} minutes. Please give "
              "the others a moment and try again shortly.",
        "de": "Du hast in den letzten {minutes} Minuten {limit} Fragen gestellt. Bitte lass "
              "den anderen etwas Zeit und versuch es gleich noch einmal."},
    "qna.unknown": {"en": "I can't find this question any more.",
                    "de": "Diese Frage finde ich nicht mehr."},
    "qna.no_board": {"en": "This Q&A board no longer exists.",
                     "de": "Dieses Fragen-Board gibt es nicht mehr."},
    "qna.is_pending": {"en": "This question is still waiting for review.",
                       "de": "Diese Frage wartet noch auf Freigabe."},
    "qna.is_open": {"en": "This question is already on the board.",
                    "de": "Diese Frage steht schon auf dem Board."},
    "qna.is_answering": {"en": "This question is being answered right now.",
                         "de": "Diese Frage wird gerade beantwortet."},
    "qna.is_answered": {"en": "This question has already been answered.",
                        "de": "Diese Frage wurde schon beantwortet."},
    "qna.is_dismissed": {"en": "This question was dismissed.",
                         "de": "Diese Frage wurde abgelehnt."},
    "qna.is_merged": {"en": "This question was merged into another one.",
                      "de": "Diese Frage wurde mit einer anderen zusammengeführt."},
    "qna.merge_self": {"en": "A question cannot be merged with itself.",
                       "de": "Eine Frage kann nicht mit sich selbst zusammengeführt werden."},
    "qna.not_yours": {"en": "This button is for the person who asked.",
                      "de": "Diese Schaltfläche ist für die Person, die gefragt hat."},
    "qna.unknown_mode": {
        "en": "I know the modes **open** and **reviewed**.",
        "de": "Ich kenne die Modi **offen** und **geprüft**."},
    # --- breakouts
    "help.breakout.usage": {"en": "breakout <number of groups>", "de": "gruppen <Anzahl>"},
    "help.breakout.summary": {
        "en": "Prepare breakout groups from the people in the meeting (or the chat): fair "
              "groups that avoid repeating pairs, roles, topics, a timer and a results wall. "
              "**breakout** alone opens a form (e.g. for a group size).",
        "de": "Bereitet Kleingruppen aus den Leuten in der Besprechung (oder im Chat) vor: "
              "faire Gruppen ohne wiederholte Paare, Rollen, Themen, ein Timer und eine "
              "Ergebniswand. **gruppen** allein öffnet ein Formular (z. B. für eine "
              "Gruppengröße)."},
    "breakout.invalid": {"en": "These groups cannot be formed.",
                         "de": "Diese Gruppen lassen sich so nicht bilden."},
    "breakout.problem": {"en": "That is not possible with this breakout now.",
                         "de": "Das geht mit diesen Gruppen gerade nicht."},
    "breakout.usage": {
        "en": "Please give the number of groups, e.g. **breakout 5** (or **breakout** alone "
              "for the form).",
        "de": "Bitte gib die Anzahl der Gruppen an, z. B. **gruppen 5** (oder **gruppen** "
              "allein für das Formular)."},
    "breakout.groups_too_few": {"en": "There must be at least one group.",
                                "de": "Es muss mindestens eine Gruppe geben."},
    "breakout.more_groups_than_people": {
        "en": "{groups} groups need at least {groups} people, but only {people} take part.",
        "de": "{groups} Gruppen brauchen mindestens {groups} Leute, es machen aber nur "
              "{people} mit."},
    "breakout.size_too_small": {"en": "A group needs at least 2 people.",
                                "de": "Eine Gruppe braucht mindestens 2 Leute."},
    "breakout.size_too_large": {
        "en": "Groups of {size} need at least {size} people, but only {people} take part.",
        "de": "Gruppen mit {size} Leuten brauchen mindestens {size} Leute, es machen aber "
              "nur {people} mit."},
    "breakout.too_few_people": {
        "en": "Breakouts need at least 2 people; {people} take part so far. People can join "
              "with “I'm in”.",
        "de": "Gruppen brauchen mindestens 2 Leute; bisher machen {people} mit. Mit „Ich "
              "bin dabei“ kann man sich anmelden."},
    "breakout.too_few_people_one": {
        "en": "Breakouts need at least 2 people; {people} takes part so far. People can join "
              "with “I'm in”.",
        "de": "Gruppen brauchen mindestens 2 Leute; bisher macht {people} mit. Mit „Ich "
              "bin dabei“ kann man sich anmelden."},
    "breakout.duplicate_people": {"en": "These people are listed twice: {people}.",
                                  "de": "Diese Leute stehen doppelt in der Liste: {people}."},
    "breakout.unknown_people": {"en": "I don't know these people here: {people}.",
                                "de": "Diese Leute kenne ich hier nicht: {people}."},
    "breakout.ambiguous_people": {
        "en": "These names fit more than one person: {people}. Please write the full name.",
        "de": "Diese Namen passen auf mehrere Leute: {people}. Bitte schreib den vollen Namen."},
    "breakout.contradiction": {
        "en": "{people} are to be kept together and apart at the same time.",
        "de": "{people} sollen gleichzeitig zusammen und getrennt sein."},
    "breakout.block_too_large": {
        "en": "{people} are to stay together, but groups hold at most {size} people.",
        "de": "{people} sollen zusammenbleiben, aber eine Gruppe hat höchstens {size} Leute."},
    "breakout.apart_impossible": {
        "en": "{people} are to be kept apart, but there are only {groups} groups.",
        "de": "{people} sollen getrennt werden, aber es gibt nur {groups} Gruppen."},
    "breakout.constraints_unmet": {
        "en": "I could not meet all wishes together; these cannot be placed as asked: "
              "{people}.",
        "de": "Ich konnte nicht alle Wünsche zugleich erfüllen; diese lassen sich nicht wie "
              "gewünscht einteilen: {people}."},
    "breakout.duration_range": {"en": "The duration must be between 1 and {limit} minutes.",
                                "de": "Die Dauer muss zwischen 1 und {limit} Minuten liegen."},
    "breakout.topic_too_long": {"en": "A topic can have at most {limit} characters.",
                                "de": "Ein Thema darf höchstens {limit} Zeichen haben."},
    "breakout.not_draft": {"en": "These groups have been published already.",
                           "de": "Diese Gruppen sind schon veröffentlicht."},
    "breakout.not_running": {"en": "This breakout round is over.",
                             "de": "Diese Gruppenrunde ist vorbei."},
    "breakout.unknown": {"en": "I can't find this breakout round any more.",
                         "de": "Diese Gruppenrunde finde ich nicht mehr."},
    "breakout.too_many_points": {"en": "At most {limit} key points, please.",
                                 "de": "Bitte höchstens {limit} Kernpunkte."},
    "breakout.point_too_long": {"en": "A key point can have at most {limit} characters.",
                                "de": "Ein Kernpunkt darf höchstens {limit} Zeichen haben."},
    "breakout.note_too_long": {"en": "The note can have at most {limit} characters.",
                               "de": "Die Notiz darf höchstens {limit} Zeichen haben."},
    "breakout.report_empty": {"en": "Please write at least one key point or a note.",
                              "de": "Bitte schreib mindestens einen Kernpunkt oder eine Notiz."},
    "breakout.not_presenter": {
        "en": "Only your group's presenter submits its results.",
        "de": "Die Ergebnisse reicht die präsentierende Person deiner Gruppe ein."},
    "breakout.already_reported": {
        "en": "Group {group} has submitted its results already.",
        "de": "Gruppe {group} hat ihre Ergebnisse schon eingereicht."},
    "breakout.bad_number": {"en": "Please give a whole number.",
                            "de": "Bitte gib eine ganze Zahl an."},
    "breakout.form_title": {"en": "Breakout groups", "de": "Kleingruppen"},
    "breakout.split": {"en": "Split by", "de": "Aufteilen nach"},
    "breakout.split.groups": {"en": "Number of groups", "de": "Anzahl der Gruppen"},
    "breakout.split.size": {"en": "Group size", "de": "Gruppengröße"},
    "breakout.number": {"en": "Number", "de": "Zahl"},
    "breakout.topics": {"en": "Topics, one per line (optional)",
                        "de": "Themen, eins pro Zeile (optional)"},
    "breakout.minutes": {"en": "Duration in minutes (optional)",
                         "de": "Dauer in Minuten (optional)"},
    "breakout.prepare": {"en": "Prepare groups", "de": "Gruppen vorbereiten"},
    "breakout.draft_title": {"en": "Breakout draft (not published yet)",
                             "de": "Gruppen-Entwurf (noch nicht veröffentlicht)"},
    "breakout.source.present": {"en": "{count} people present in the meeting",
                                "de": "{count} Leute in der Besprechung"},
    "breakout.source.present_one": {"en": "{count} person present in the meeting",
                                    "de": "{count} Person in der Besprechung"},
    "breakout.source.roster": {"en": "{count} members of this chat",
                               "de": "{count} Mitglieder dieses Chats"},
    "breakout.source.roster_one": {"en": "{count} member of this chat",
                                   "de": "{count} Mitglied dieses Chats"},
    "breakout.source.opt_in": {"en": "{count} people who clicked “I'm in”",
                               "de": "{count} Leute, die „Ich bin dabei“ geklickt haben"},
    "breakout.source.opt_in_one": {"en": "{count} person who clicked “I'm in”",
                                   "de": "{count} Person, die „Ich bin dabei“ geklickt hat"},
    "breakout.included": {"en": "Taking part ({count}):", "de": "Dabei ({count}):"},
    "breakout.excluded_list": {"en": "Left out ({count}):", "de": "Nicht dabei ({count}):"},
    "breakout.and_more": {"en": "and {count} more", "de": "und {count} weitere"},
    "breakout.preview": {"en": "Preview", "de": "Vorschau"},
    "breakout.more_groups": {"en": "… and {count} more groups",
                             "de": "… und {count} weitere Gruppen"},
    "breakout.more_groups_one": {"en": "… and {count} more group",
                                 "de": "… und {count} weitere Gruppe"},
    "breakout.group_continued": {"en": "Group {number} (continued)",
                                 "de": "Gruppe {number} (Fortsetzung)"},
    "breakout.copy_more": {"en": "Next part", "de": "Nächster Teil"},
    "breakout.exclude": {"en": "Leave out (names, comma-separated)",
                         "de": "Nicht einteilen (Namen, durch Komma getrennt)"},
    "breakout.apart": {"en": "Keep apart (e.g. a manager and their team)",
                       "de": "Getrennt halten (z. B. eine Führungskraft und ihr Team)"},
    "breakout.together": {"en": "Keep together", "de": "Zusammen lassen"},
    "breakout.names_placeholder": {"en": "Anna Berger, Ben Okafor",
                                   "de": "Anna Berger, Ben Okafor"},
    "breakout.sets_placeholder": {"en": "Anna, Ben, Clara; David, Elif",
                                  "de": "Anna, Ben, Clara; David, Elif"},
    "breakout.update": {"en": "Update draft", "de": "Entwurf aktualisieren"},
    "breakout.publish": {"en": "Publish groups", "de": "Gruppen veröffentlichen"},
    "breakout.join": {"en": "I'm in", "de": "Ich bin dabei"},
    "breakout.cancel": {"en": "Cancel", "de": "Abbrechen"},
    "breakout.joined": {"en": "You're in.", "de": "Du bist dabei."},
    "breakout.updated": {"en": "Draft updated.", "de": "Entwurf aktualisiert."},
    "breakout.cancelled": {"en": "This breakout was cancelled.",
                           "de": "Diese Gruppenrunde wurde abgebrochen."},
    "breakout.draft_below": {"en": "The draft of the groups is below.",
                             "de": "Der Gruppen-Entwurf steht weiter unten."},
    "breakout.published_note": {"en": "The groups are published below.",
                                "de": "Die Gruppen stehen weiter unten."},
    "breakout.group": {"en": "Group {number}", "de": "Gruppe {number}"},
    "breakout.facilitator": {"en": "facilitates: {name}", "de": "moderiert: {name}"},
    "breakout.presenter": {"en": "presents: {name}", "de": "präsentiert: {name}"},
    "breakout.assignment_title": {"en": "Breakout groups · round {round}",
                                  "de": "Kleingruppen · Runde {round}"},
    "breakout.part": {"en": "Part {part} of {parts}", "de": "Teil {part} von {parts}"},
    "breakout.no_timer": {"en": "No time limit.", "de": "Ohne Zeitlimit."},
    "breakout.ends_at": {"en": "Ends at {time}.", "de": "Endet um {time}."},
    "breakout.report_button": {"en": "Submit results", "de": "Ergebnisse einreichen"},
    "breakout.extend": {"en": "+{minutes} minutes", "de": "+{minutes} Minuten"},
    "breakout.end": {"en": "End now", "de": "Jetzt beenden"},
    "breakout.reconvene": {"en": "Reconvene", "de": "Zurück ins Plenum"},
    "breakout.copy": {"en": "List for Teams rooms", "de": "Liste für Teams-Räume"},
    "breakout.broadcast": {"en": "Message all groups", "de": "Nachricht an alle Gruppen"},
    "breakout.broadcast_label": {"en": "Message", "de": "Nachricht"},
    "breakout.broadcast_send": {"en": "Send", "de": "Senden"},
    "breakout.broadcast_message": {"en": "**Message to all groups:** {message}",
                                   "de": "**Nachricht an alle Gruppen:** {message}"},
    "breakout.broadcast_empty": {"en": "Please write a message first.",
                                 "de": "Bitte schreib zuerst eine Nachricht."},
    "breakout.sent": {"en": "Sent.", "de": "Gesendet."},
    "breakout.extended": {"en": "The groups have {minutes} more minutes.",
                          "de": "Die Gruppen haben {minutes} Minuten mehr."},
    "breakout.your_group": {"en": "You are in group {number}",
                            "de": "Du bist in Gruppe {number}"},
    "breakout.you_present": {
        "en": "You present your group's results: submit up to three key points here.",
        "de": "Du präsentierst die Ergebnisse deiner Gruppe: reiche hier bis zu drei "
              "Kernpunkte ein."},
    "breakout.copy_title": {"en": "Groups for Teams' breakout rooms",
                            "de": "Gruppen für die Teams-Breakout-Räume"},
    "breakout.copy_hint": {"en": "Select all and copy", "de": "Alles markieren und kopieren"},
    "breakout.report_title": {"en": "Results of group {number}",
                              "de": "Ergebnisse von Gruppe {number}"},
    "breakout.point": {"en": "Key point {number}", "de": "Kernpunkt {number}"},
    "breakout.note": {"en": "Note (optional)", "de": "Notiz (optional)"},
    "breakout.submit": {"en": "Submit", "de": "Einreichen"},
    "breakout.report_thanks": {"en": "Thanks, your group's results are in.",
                               "de": "Danke, die Ergebnisse deiner Gruppe sind da."},
    "breakout.wall_title": {"en": "Results · round {round}", "de": "Ergebnisse · Runde {round}"},
    "breakout.wall_counts": {"en": "{submitted} of {groups} groups submitted results.",
                             "de": "{submitted} von {groups} Gruppen haben Ergebnisse "
                                   "eingereicht."},
    "breakout.presented_by": {"en": "presented by {name}", "de": "präsentiert von {name}"},
    "breakout.no_report": {"en": "No results submitted.", "de": "Keine Ergebnisse eingereicht."},
    "breakout.reminder": {"en": "⏳ 2 minutes left in the breakout groups.",
                          "de": "⏳ Noch 2 Minuten in den Kleingruppen."},
    "breakout.time_up": {
        "en": "⏰ Time's up! Please come back to the main meeting; presenters, submit your "
              "results.",
        "de": "⏰ Die Zeit ist um! Bitte kommt zurück ins Plenum; Präsentierende, reicht "
              "eure Ergebnisse ein."},
    # --- summaries
    "help.summary.usage": {"en": "summary", "de": "zusammenfassung"},
    "help.summary.summary": {
        "en": "Post the engagement summary of this meeting so far (aggregates only).",
        "de": "Zeigt die Zusammenfassung dieser Besprechung bis jetzt (nur Gesamtzahlen)."},
    "summary.title": {"en": "Meeting summary", "de": "Zusammenfassung der Besprechung"},
    "summary.empty": {
        "en": "Nothing was recorded in this meeting yet. Polls, questions and breakouts will "
              "show up here.",
        "de": "In dieser Besprechung wurde noch nichts erfasst. Umfragen, Fragen und "
              "Kleingruppen erscheinen hier."},
    "summary.reach": {"en": "{reached} people took part", "de": "{reached} Leute haben "
                                                                  "mitgemacht"},
    "summary.reach_one": {"en": "{reached} person took part",
                          "de": "{reached} Person hat mitgemacht"},
    "summary.reach_of": {"en": "{reached} of {attendees} people took part ({share})",
                         "de": "{reached} von {attendees} Leuten haben mitgemacht ({share})"},
    "summary.reach_of_one": {"en": "{reached} of {attendees} people took part ({share})",
                             "de": "{reached} von {attendees} Leuten hat mitgemacht ({share})"},
    "summary.polls": {"en": "Polls", "de": "Umfragen"},
    "summary.more_polls": {"en": "… and {count} more polls", "de": "… und {count} weitere "
                                                                   "Umfragen"},
    "summary.more_polls_one": {"en": "… and {count} more poll",
                               "de": "… und {count} weitere Umfrage"},
    "summary.turnout": {"en": "{count} votes", "de": "{count} Stimmen"},
    "summary.turnout_one": {"en": "{count} vote", "de": "{count} Stimme"},
    "summary.withheld": {"en": "Results withheld: fewer than 3 votes.",
                         "de": "Ergebnisse nicht gezeigt: weniger als 3 Stimmen."},
    "summary.other": {"en": "other", "de": "andere"},
    "summary.few": {"en": "fewer than 3", "de": "weniger als 3"},
    "summary.qna": {"en": "Questions & answers", "de": "Fragen & Antworten"},
    "summary.qna_counts": {
        "en": "{asked} asked · {answered} answered · {open} open · {dismissed} dismissed · "
              "{merged} merged",
        "de": "{asked} gestellt · {answered} beantwortet · {open} offen · {dismissed} "
              "abgelehnt · {merged} zusammengeführt"},
    "summary.open_items": {"en": "To follow up (unanswered, most upvoted)",
                           "de": "Nachfassen (unbeantwortet, meist unterstützt)"},
    "summary.themes": {"en": "Themes", "de": "Themen"},
    "summary.sentiment": {"en": "Mood of {count} questions and answers",
                          "de": "Stimmung in {count} Fragen und Antworten"},
    "summary.positive": {"en": "positive", "de": "positiv"},
    "summary.neutral": {"en": "neutral", "de": "neutral"},
    "summary.negative": {"en": "negative", "de": "negativ"},
    "summary.breakouts": {"en": "Breakouts", "de": "Kleingruppen"},
    "summary.breakout_counts": {
        "en": "Rounds: {rounds} · groups: {groups} · with results: {reported}",
        "de": "Runden: {rounds} · Gruppen: {groups} · mit Ergebnissen: {reported}"},
    "summary.measured": {
        "en": "Measured: totals only. Not measured: what any one person did, said or chose; "
              "groups smaller than 3 are folded into “other”.",
        "de": "Erfasst: nur Gesamtzahlen. Nicht erfasst: was eine einzelne Person getan, "
              "gesagt oder gewählt hat; Gruppen unter 3 stehen unter „andere“."},
    "summary.open_report": {"en": "Open the report", "de": "Bericht öffnen"},
    "summary.link_title": {"en": "The report of this meeting (for you only)",
                           "de": "Der Bericht zu dieser Besprechung (nur für dich)"},
    "summary.link_expires": {"en": "The link works for {hours} hours. Don't forward it.",
                             "de": "Der Link gilt {hours} Stunden. Bitte nicht weiterleiten."},
    "summary.link_expires_one": {"en": "The link works for {hours} hour. Don't forward it.",
                                 "de": "Der Link gilt {hours} Stunde. Bitte nicht "
                                       "weiterleiten."},
    "summary.round_group": {"en": "Round {round} · group {group}",
                            "de": "Runde {round} · Gruppe {group}"},
    "summary.no_meeting": {"en": "There is no meeting to summarise in this chat yet.",
                           "de": "In diesem Chat gibt es noch keine Besprechung zum "
                                 "Zusammenfassen."},
    # --- the report page
    "report.page.heading": {
        "en": "Engagement summary",
        "de": "Zusammenfassung der Beteiligung"},
    "report.page.held_on": {
        "en": "Meeting on {date}",
        "de": "Besprechung am {date}"},
    "report.page.footer": {
        "en": "Created by Resonanz. Aggregates only.",
        "de": "Erstellt von Resonanz. Nur zusammengefasste Zahlen."},
    "report.reach.of": {
        "en": "People reached: {reached} of {attendees} ({percent})",
        "de": "Erreichte Personen: {reached} von {attendees} ({percent})"},
    "report.reach.only": {
        "en": "People reached: {reached}",
        "de": "Erreichte Personen: {reached}"},
    "report.reach.chart": {
        "en": "Share of people reached: {percent}",
        "de": "Anteil erreichter Personen: {percent}"},
    "report.empty.title": {
        "en": "Nothing recorded yet",
        "de": "Noch nichts aufgezeichnet"},
    "report.empty.body": {
        "en": "Nobody has voted, asked a question or reported from a breakout group in this "
              "meeting yet. As soon as that happens, the summary appears here.",
        "de": "In dieser Besprechung wurde noch nicht abgestimmt, gefragt oder aus einer "
              "Kleingruppe berichtet. Sobald das passiert, erscheint hier die Zusammenfassung."},
    "report.count.hidden": {
        "en": "fewer than {minimum}",
        "de": "weniger als {minimum}"},
    "report.chart.bars": {
        "en": "Bar chart: {subject}",
        "de": "Balkendiagramm: {subject}"},
    "report.chart.stacked": {
        "en": "Stacked bar: {subject}",
        "de": "Gestapelter Balken: {subject}"},
    "report.chart.line": {
        "en": "Line chart: {subject}",
        "de": "Liniendiagramm: {subject}"},
    "report.polls.title": {
        "en": "Polls",
        "de": "Umfragen"},
    "report.polls.ballots": {
        "en": "Turnout: {ballots} ballots",
        "de": "Beteiligung: {ballots} Stimmen"},
    "report.polls.ballots_one": {
        "en": "Turnout: {ballots} ballot",
        "de": "Beteiligung: {ballots} Stimme"},
    "report.polls.withheld": {
        "en": "Results withheld: fewer than {minimum} ballots.",
        "de": "Ergebnisse zurückgehalten: weniger als {minimum} Stimmen."},
    "report.polls.average": {
        "en": "Average rating: {average} of 5",
        "de": "Durchschnittliche Bewertung: {average} von 5"},
    "report.polls.no_results": {
        "en": "No results to show.",
        "de": "Keine Ergebnisse anzuzeigen."},
    "report.qna.title": {
        "en": "Questions & answers",
        "de": "Fragen & Antworten"},
    "report.qna.chart": {
        "en": "Questions by status",
        "de": "Fragen nach Status"},
    "report.qna.asked": {
        "en": "Asked",
        "de": "Gestellt"},
    "report.qna.answered": {
        "en": "Answered",
        "de": "Beantwortet"},
    "report.qna.open": {
        "en": "Open",
        "de": "Offen"},
    "report.qna.dismissed": {
        "en": "Dismissed",
        "de": "Verworfen"},
    "report.qna.merged": {
        "en": "Merged",
        "de": "Zusammengeführt"},
    "report.qna.top": {
        "en": "Most upvoted questions",
        "de": "Fragen mit den meisten Stimmen"},
    "report.qna.follow_up": {
        "en": "Still open: follow up on these",
        "de": "Noch offen: bitte nachfassen"},
    "report.qna.votes": {
        "en": "{votes} votes",
        "de": "{votes} Stimmen"},
    "report.qna.votes_one": {
        "en": "{votes} vote",
        "de": "{votes} Stimme"},
    "report.qna.none": {
        "en": "No questions were asked.",
        "de": "Es wurden keine Fragen gestellt."},
    "report.themes.title": {
        "en": "Themes",
        "de": "Themen"},
    "report.themes.intro": {
        "en": "Words that came up most often in questions and open answers.",
        "de": "Begriffe, die in Fragen und Freitextantworten am häufigsten vorkamen."},
    "report.sentiment.title": {
        "en": "Tone",
        "de": "Stimmung"},
    "report.sentiment.intro": {
        "en": "How {total} questions and open answers read.",
        "de": "Wie {total} Fragen und Freitextantworten klingen."},
    "report.sentiment.positive": {
        "en": "Positive",
        "de": "Positiv"},
    "report.sentiment.neutral": {
        "en": "Neutral",
        "de": "Neutral"},
    "report.sentiment.negative": {
        "en": "Negative",
        "de": "Negativ"},
    "report.breakouts.title": {
        "en": "Breakout groups",
        "de": "Kleingruppen"},
    "report.breakouts.rounds": {
        "en": "Rounds",
        "de": "Runden"},
    "report.breakouts.groups": {
        "en": "Groups",
        "de": "Gruppen"},
    "report.breakouts.reported": {
        "en": "Groups that reported",
        "de": "Gruppen mit Ergebnis"},
    "report.breakouts.group": {
        "en": "Round {round} · group {group}",
        "de": "Runde {round} · Gruppe {group}"},
    "report.breakouts.no_topic": {
        "en": "No topic",
        "de": "Ohne Thema"},
    "report.breakouts.no_points": {
        "en": "No key points.",
        "de": "Keine Kernpunkte."},
    "report.breakouts.no_results": {
        "en": "No group reported results.",
        "de": "Keine Gruppe hat Ergebnisse eingereicht."},
    "report.trends.title": {
        "en": "Across the series",
        "de": "Verlauf über die Reihe"},
    "report.trends.reached": {
        "en": "People reached",
        "de": "Erreichte Personen"},
    "report.trends.questions": {
        "en": "Questions",
        "de": "Fragen"},
    "report.trends.positive": {
        "en": "Positive share",
        "de": "Positiver Anteil"},
    "report.trends.no_value": {
        "en": "no texts",
        "de": "keine Texte"},
    "report.privacy.title": {
        "en": "What is measured and what is not",
        "de": "Was gemessen wird und was nicht"},
    "report.privacy.aggregates": {
        "en": "Only aggregates: counts and shares for the whole meeting.",
        "de": "Nur zusammengefasste Zahlen: Summen und Anteile für die ganze Besprechung."},
    "report.privacy.no_person": {
        "en": "No figures about individual people: nothing here says who voted, asked or took "
              "part.",
        "de": "Keine Zahlen über einzelne Personen: nichts hier verrät, wer abgestimmt, gefragt "
              "oder mitgemacht hat."},
    "report.privacy.small_groups": {
        "en": "Groups smaller than {minimum} are folded into “other”; polls with fewer than "
              "{minimum} ballots show no results.",
        "de": "Gruppen mit weniger als {minimum} Personen stehen unter „Andere“; Umfragen mit "
              "weniger als {minimum} Stimmen zeigen keine Ergebnisse."},
    "report.privacy.anonymous": {
        "en": "Anonymous votes, questions and upvotes cannot be traced back to anyone.",
        "de": "Anonyme Stimmen, Fragen und Unterstützungen lassen sich niemandem zuordnen."},
    "report.privacy.names": {
        "en": "No names, except in questions someone chose to ask with their name. Who was in "
              "which breakout group is not listed here at all.",
        "de": "Keine Namen, außer bei Fragen, die jemand bewusst mit Namen gestellt hat. Wer in "
              "welcher Kleingruppe war, steht hier nicht."},
    "report.privacy.tone": {
        "en": "The tone is estimated automatically from the wording and can be wrong.",
        "de": "Die Stimmung wird automatisch aus dem Wortlaut geschätzt und kann danebenliegen."},
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
    """The message `key` in `language`, with `{placeholders}` filled in. A message with a
    singular form (`key_one`) uses it when its first number (in the English text) is 1."""
    if f"{key}_one" in MESSAGES and _first_number(key, params) == 1:
        key = f"{key}_one"
    entry = MESSAGES.get(key) or MESSAGES["error.generic"]
    template = entry[language]
    if not params:
        return template
    return template.format_map(_Defaulting(params))


def _first_number(key: str, params: dict[str, Any]) -> int | None:
    for _, name, _, _ in string.Formatter().parse(MESSAGES[key]["en"]):
        value = params.get(name) if name else None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


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
