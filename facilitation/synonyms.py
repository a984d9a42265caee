"""Workplace words that ask the same in a Q&A question (data for facilitation.similarity).

Written from general knowledge of how staff ask questions at an all-hands, not taken from any
thesaurus. Each group is a line of surface words; the first one names the group, and every word
of the line is read as that one after stemming (so list the inflections whose stems differ).
Keep groups narrow: two words belong together only if swapping them never changes what a
question asks ("increase" and "decrease" are not synonyms, "customer" and "company" neither).
"""

from __future__ import annotations

__all__ = ["GROUPS", "NO_CONTENT", "PHRASES"]

GROUPS: dict[str, tuple[str, ...]] = {
    "en": (
        "salary salaries wage wages compensation remuneration earnings paycheck",
        "mandatory obligatory compulsory required",
        "increase raise raised raising rise rises rising grow grows growing grew",
        "reduce shrink shrinks shrinking shrank drop drops dropping fall falls falling",
        "laptop laptops notebook notebooks computer computers pc pcs",
        "employee employees staff worker workers colleague colleagues personnel workforce "
        "employe",
        "manager managers boss bosses supervisor supervisors lead",
        "hr",
        "canteen canteens cafeteria cafeterias",
        "close closes closed closing shut shuts shutting",
        "townhall townhalls allhands",
        "vacation vacations holiday holidays pto",
        "result results figures numbers",
        "announce publish published publishes publishing release released releases",
        "budget budgets money funds funding",
        "training trainings course courses",
        "year yearly annual annually",
        "reorganisation restructuring restructure restructured",
        "remote remotely wfh homeoffice",
        "customer customers client clients",
        "leave quit quits quitting resign resigns resigned resigning depart departs departed",
        "hire hires hired hiring recruit recruits recruited recruiting recruitment",
        "stay stays stayed remain remains remained keep keeps kept continue continues "
        "continued",
        "cfo",
        "ceo",
        "pay cover covers covered covering include includes included including contain "
        "contains contained",
        "apply applies applied applying request requests requested requesting",
        "decide decides decided deciding decision decisions",
        "use uses used using utilise utilises utilised",
        "deadline deadlines",
        "elevator elevators lift lifts",
        "repair repairs repaired repairing fix fixes fixed fixing",
        "book books booked booking reserve reserves reserved reserving reservation",
        "guest guests visitor visitors",
        "meetingroom meetingrooms",
        "password passwords passcode",
        "reimburse reimburses reimbursed reimbursement refund refunds refunded",
        "move relocate relocates relocated relocation",
    ),
    "de": (
        "gehalt gehälter gehalts vergütung vergütungen lohn löhne entgelt verdienen "
        "verdient verdiene",
        "erhöhen erhöht erhöhung steigen steigt gestiegen anheben angehoben",
        "laptop laptops notebook notebooks rechner computer",
        "mitarbeiter mitarbeitende mitarbeitenden mitarbeiterin mitarbeiterinnen beschäftigte "
        "beschäftigten angestellte angestellten belegschaft kollegen kolleginnen personal",
        "chef chefin chefs führungskraft führungskräfte vorgesetzte vorgesetzter vorgesetzten "
        "teamleiter teamleiterin teamleitung",
        "hr personalabteilung personalwesen",
        "kantine kantinen mensa betriebsrestaurant",
        "schließen schließt geschlossen schliessen zumachen zumacht",
        "betriebsversammlung betriebsversammlungen mitarbeiterversammlung "
        "mitarbeiterversammlungen townhall allhands vollversammlung",
        "urlaub urlaubstage urlaubstagen urlaubs",
        "ankündigen veröffentlichen veröffentlicht veröffentlichung",
        "budget budgets geld etat etats",
        "weiterbildung weiterbildungen fortbildung fortbildungen schulung schulungen training "
        "trainings",
        "jahr jährlich jährliche jährlichen",
        "reorganisation umstrukturierung umstrukturierungen restrukturierung neuorganisation",
        "homeoffice remote",
        "kunde kunden kundin kundinnen",
        "cfo finanzvorstand finanzvorständin finanzchef finanzchefin",
        "ceo geschäftsführer geschäftsführerin vorstandsvorsitzende vorstandsvorsitzender",
        "einstellen einstellung einstellungen neueinstellungen rekrutieren rekrutierung",
        "verlassen verlässt kündigen kündigt gekündigt ausscheiden",
        "bleiben bleibt behalten",
        "zahlen zahlt bezahlt bezahlen übernehmen übernimmt übernommen enthalten enthält "
        "inkludiert abgedeckt",
        "beantragen beantragt anfragen anfordern",
        "nutzen nutzt genutzt benutzen benutzt verwenden verwendet",
        "wiederholen wiederholt nochmal nochmals erneut",
        "pflicht verpflichtend verpflichtet pflichtveranstaltung",
        "frist fristen deadline deadlines abgabetermin",
        "besprechung besprechungen meeting meetings sitzung sitzungen",
        "besprechungsraum besprechungsräume meetingraum meetingräume konferenzraum "
        "konferenzräume sitzungszimmer besprechungszimmer",
        "aufzug aufzüge fahrstuhl fahrstühle lift",
        "reparieren repariert reparatur",
        "buchen bucht gebucht reservieren reserviert reservierung",
        "gast gäste besucher besucherin besucherinnen",
        "passwort passwörter kennwort kennwörter",
        "ergebnis ergebnisse resultat resultate",
        "umfrage umfragen befragung befragungen",
        "erstattung erstatten erstattet rückerstattung",
    ),
}

# Words that add nothing to what a question asks: a request to explain or tell, "planned",
# "people" (how many people = how many). Read as stop words.
NO_CONTENT: dict[str, frozenset[str]] = {
    "en": frozenset("explain explained clarify clarified elaborate detail details info "
                    "information planned people offer offers offered make makes made making "
                    "take takes took taken taking true".split()),
    "de": frozenset("erklären erklärt erkläre erklär erläutern erläutert details detail infos "
                    "informationen geplant vorgesehen leute personen "
                    "funktioniert funktionieren angeboten anbieten bietet machen macht gemacht "
                    "weiterhin wahr".split()),
}

# Two words read as one (the second is dropped); the result is stemmed like any word.
PHRASES: dict[tuple[str, str], str] = {
    ("human", "resources"): "hr", ("town", "hall"): "townhall", ("all", "hands"): "allhands",
    ("go", "up"): "increase", ("goes", "up"): "increase", ("going", "up"): "increase",
    ("went", "up"): "increase", ("go", "down"): "reduce", ("goes", "down"): "reduce",
    ("going", "down"): "reduce", ("shut", "down"): "close", ("shutting", "down"): "close",
    ("from", "home"): "remote", ("home", "office"): "remote",
    ("paid", "holiday"): "vacation", ("paid", "leave"): "vacation",
    ("annual", "leave"): "vacation", ("time", "off"): "vacation",
    ("vacation", "days"): "vacation", ("holiday", "days"): "vacation",
    ("head", "of"): "lead", ("team", "lead"): "lead", ("team", "leader"): "lead",
    ("mobiles", "arbeiten"): "homeoffice",
    ("mobile", "arbeit"): "homeoffice",
    ("meeting", "room"): "meetingroom", ("meeting", "rooms"): "meetingroom",
    ("conference", "room"): "meetingroom", ("conference", "rooms"): "meetingroom",
    ("paid", "back"): "reimburse", ("pay", "back"): "reimburse",
    ("every", "day"): "daily", ("each", "day"): "daily",
    ("jeden", "tag"): "täglich",
    # "Stimmt es, dass ...?" asks the question that follows (a stop word as the joined word)
    ("stimmt", "es"): "es",
    # question words in two words
    ("what", "time"): "when", ("what", "date"): "when", ("what", "day"): "when",
    ("which", "day"): "when", ("which", "date"): "when", ("how", "come"): "why",
    ("what", "location"): "where", ("which", "location"): "where",
    ("welchem", "tag"): "wann", ("welchem", "datum"): "wann", ("welcher", "uhrzeit"): "wann",
    ("wie", "spät"): "wann",
    # obligation, read as the modal "must" (see the "modal" slot of facilitation.similarity)
    ("have", "to"): "must", ("has", "to"): "must", ("had", "to"): "must",
    ("need", "to"): "must", ("needs", "to"): "must",
}
