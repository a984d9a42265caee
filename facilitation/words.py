"""German and English words, as the duplicate detector and the text analysis both read them:
casefolded tokens, stop words, a language guess from cue words, Snowball stems (pure, no I/O)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from nltk.stem.snowball import SnowballStemmer  # type: ignore[import-untyped]

__all__ = ["ENGLISH_STOP_WORDS", "GERMAN_STOP_WORDS", "fold", "guess_language", "snowball_stem",
           "word_tokens"]

ENGLISH_STOP_WORDS = frozenset("""
a an the and or but if then than so as of to in on at by for from with without into onto
about over under between after before during through via per up down out off again once
here there where when why how what which who whom whose whats whos hows whens whys
is are was were be been being am do does did doing done have has had having will would
shall should can could may might must ought need needs let lets
i me my mine myself we us our ours ourselves you your yours yourself yourselves he him his
she her hers it its itself they them their theirs themselves one someone anyone somebody
anybody everyone everybody something anything everything
that those these any some all each every both either neither few many much more most less
other others another such own same too very just also still even really actually
currently right now already ever again soon maybe perhaps probably
please pls plz thanks thank thx kindly hi hello hey dear ok okay
going gonna wanna get gets getting got gotten company companies firm
tell know wonder wondering wondered question ask asking like want wanted
s t re ve ll d m
""".split())

GERMAN_STOP_WORDS = frozenset("""
der die das den dem des ein eine einen einem einer eines
und oder aber sondern denn doch wenn falls dann als wie so zu zum zur im in ins am an
auf aufs aus bei beim mit von vom vor nach für fürs über übers unter um durch gegen ohne
bis seit während wegen zwischen hinter neben trotz statt innerhalb außerhalb
ist sind war waren bin bist sein seid wäre wären wird werden wirst werdet wurde wurden
worden geworden hat haben habe hast habt hatte hatten hätte hätten
kann kannst können könnt könnte könnten konnte konnten darf darfst dürfen dürft durfte
dürfte muss musst müssen müsst musste müsste soll sollst sollen sollt sollte sollten
will willst wollen wollt wollte möchte möchten möchtest mag mögen
ich mich mir mein meine meinen meinem meiner meines du dich dir dein deine deinen deinem
deiner er ihn ihm seine seinen seinem seiner seines sie ihr ihre ihren ihrem ihrer ihres
es wir uns unser unsere unseren unserem unserer unseres euch euer eure euren eurem eurer
ihnen man jemand etwas nichts alles alle allen aller jede jeder jedes jeden jedem
was wer wen wem wessen wann warum wieso weshalb weswegen wozu wo wohin woher womit
wodurch worüber worauf welche welcher welches welchen welchem viel viele vielen
bitte danke mal einmal ja denn eigentlich auch noch schon nur sehr eben halt wohl gern
gerne genau etwa überhaupt bereits jetzt gerade aktuell derzeit momentan endlich bald
gibt gib geben gab gäbe gegeben gibts bekommen bekommt bekommst kriegen kriegt erhalten
hallo hi liebe lieber dass ob sich selbst da dort hier dabei dafür dazu darauf darüber
davon damit daran mehr weniger andere anderen anderer anderes sowie bzw usw wieder
firma unternehmen hoch sagen sagt sag wissen weiss weiß frage fragen frag
""".split())

# Language cues: stop words that belong to one language only.
_EN_CUES = ENGLISH_STOP_WORDS - GERMAN_STOP_WORDS - {
    "die", "was", "will", "hat", "man", "also", "so", "in"}
_DE_CUES = (GERMAN_STOP_WORDS - ENGLISH_STOP_WORDS - {
    "an", "am", "in", "so", "will", "was", "hat", "bin"}) | {"die"}

_WORD = re.compile(r"[^\W_]+")
_GERMAN_LETTER = re.compile("[äöüß]")
_APOSTROPHE = re.compile(r"['’`´]")
# Umlauts typed as ae/oe/ue (Ueberstunden), but not after a vowel (neue, Steuer).
_DIGRAPH = re.compile(r"(?:(?<=[bcdfghjklmnprstvwxyz])|^)(ae|oe|ue)")
_DIGRAPH_UMLAUT = {"ae": "ä", "oe": "ö", "ue": "ü"}
_STEMMERS = {"de": SnowballStemmer("german"), "en": SnowballStemmer("english")}


def word_tokens(text: str) -> list[str]:
    """Casefolded words; "don't" becomes "do not", other apostrophes vanish (what's -> whats)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = text.casefold()
    if "'" in text or not text.isascii():
        text = _APOSTROPHE.sub("'", text).replace("n't", " not").replace("'", "")
    return _WORD.findall(text)


def guess_language(tokens: list[str]) -> tuple[str, int]:
    """Whichever language has more distinct cue words; umlauts break a tie; else English."""
    de = len(_DE_CUES.intersection(tokens))
    en = len(_EN_CUES.intersection(tokens))
    if de != en:
        return ("de" if de > en else "en"), 2
    if any(_GERMAN_LETTER.search(token) for token in tokens):
        return "de", 1
    return "en", 0


def fold(word: str) -> str:
    """Without accents and umlauts, ß as ss: Büro and Buro meet as "buro"."""
    decomposed = unicodedata.normalize("NFKD", word.replace("ß", "ss"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def snowball_stem(token: str, language: str) -> str:
    """Snowball stem with umlauts folded; German ae/oe/ue read as umlauts first (Büro, Buero
    and Buro meet as "buro")."""
    if language == "de":
        token = _DIGRAPH.sub(lambda match: _DIGRAPH_UMLAUT[match.group(1)], token)
    return fold(_STEMMERS[language].stem(token))
