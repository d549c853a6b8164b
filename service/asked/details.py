"""Whether a question asks for a detail finer than a time or a name, and whether an answer
gives it: a day, a title, a given name, or who holds an office.

'On what exact date was the Lysøen Declaration signed?' asks for a day; the texts give the
year only, and the sentence the answer stage finds for it says 1998, which the time refusal
lets through. 'What was the title of Professor Kurusu's doctoral dissertation?' gets his
career line; 'What is Ms. Nishimura's full name?' gets the sentence that calls her Ms.
Nishimura; 'Who is the minister heading Thailand's Ministry of Social Development?' gets a
sentence naming an officer of that ministry, who is a person, so the name refusal lets it
through. Each answer is on the right topic and lacks the one thing asked for, and is refused
(``unmet_type``), as one that states no count is refused to 'how many'.

What each detail needs from an answer:
- a day: a month with a day's number ('July 28', '23rd February') or a weekday;
- a title: a quoted, guillemetted or italic phrase, 'entitled', 'titled' or 'called', a
  capitalised phrase that opens the sentence and is then described, or a name the tagger
  labels a work or a law that the question does not name;
- a given name: a person's name (by the tagger) with a word the question does not use;
- an office holder: the office itself ('minister', not 'ministry'), or for 'who heads' any
  word of heading; a deputy's, vice's or acting holder's office is not the office unless the
  question asks for one ('Who was the Director-General of the Economic Affairs Bureau?' and
  'Mr. Kaoru Ishikawa, Deputy Director-General, Economic Affairs Bureau').

This module is the pure logic around the tagger (``service.models.name_tagger``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

DAY = "day"
TITLE = "title"
GIVEN_NAME = "given name"
OFFICE = "office"

_MONTH = (
    r"(January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)"
)
# 'On what date …', 'which day', 'the exact date', 'date of birth'; not 'to date', 'up-to-date'
# nor 'what day-to-day problems'.
_ASKS_DAY = re.compile(
    r"\b(what|which)\s+(exact\s+|precise\s+)?(date|day)\b(?!-|\s+of\s+the\s+week)|\b(exact|precise)\s+date\b"
    r"|\bdate\s+of\s+(birth|death)\b|\bbirthday\b",
    re.I,
)
_STATES_DAY = re.compile(
    rf"\b{_MONTH}\.?\s+\d{{1,2}}(st|nd|rd|th)?\b|\b\d{{1,2}}(st|nd|rd|th)?\s+(of\s+)?{_MONTH}\b"
    r"|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{4}-\d\d-\d\d\b"
    r"|\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
)
# 'What was the title of …', 'what is the book titled', 'the name of his report'.
_WORK = (
    r"(book|report|thesis|dissertation|paper|article|essay|speech|declaration|document|study|film|song|"
    r"album)"
)
_ASKS_TITLE = re.compile(
    rf"\btitle[sd]?\b|\bentitled\b|\bname\s+of\s+(the\s+|a\s+|an\s+|his\s+|her\s+|its\s+|their\s+|[\w-]+'s\s+)?"
    rf"([\w-]+\s+){{0,3}}?{_WORK}\b",
    re.I,
)
# 'Why did Warsaw gain the title of …' asks for a reason, not a title.
_ASKS_OTHER = re.compile(r"^\W*(why|how|when|where|who|whom|whose)\b", re.I)
# Quotes, guillemets or *italics*, a word that introduces a title, or a title that opens its
# sentence and is then described ('Human Security Now, the final report by …').
_STATES_TITLE = re.compile(
    r"[\"“”«»*]|\b(?i:entitled|titled|called)\b|^\W*[A-Z][\w'’-]*(\s+[A-Z][\w'’-]*)+,\s+(the|a|an|his|her|its|their)\s"
)
_WORK_LABELS = frozenset({"WORK_OF_ART", "LAW"})
_ASKS_GIVEN_NAME = re.compile(r"\b(first|full|given|middle|christian)\s+names?\b|\bforenames?\b", re.I)
_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "professor", "sir", "dame"})
# The offices a who question can ask the holder of, and the words an answer names each by.
_OFFICES: dict[str, str] = {
    "minister": r"minister",
    "president": r"president",
    "director": r"director(-general)?",
    "director-general": r"director-general",
    "chair": r"(co-)?chair(s|ed|man|men|person|woman)?",
    "secretary-general": r"secretary[- ]general",
    "commissioner": r"commissioner",
    "ambassador": r"ambassador",
    "governor": r"governor",
    "mayor": r"mayor",
    "dean": r"dean",
    "rector": r"rector",
}
_HEADING = (
    r"head(s|ed)?|lead(s|er)?|led|chief|chair(s|ed|man|person|woman)?|director(-general)?|president|"
    r"minister"
)
# Other words for an office in a question; a head, a leader or a chief is named by any word of
# heading (``_HEADING``): 'Who became head of JICA?' and 'she became President of JICA'.
_ALIASES: dict[str, str] = {
    "chairman": "chair",
    "chairperson": "chair",
    "chairwoman": "chair",
    "chairs": "chair",
    "secretary general": "secretary-general",
}
_ASKS_OFFICE = re.compile(
    r"^\W*who\s+(?:(?:is|was|are|were|has been|had been|will be|became|served as)\b(?:\s+[\w'’.-]+){0,6}?\s+"
    r"(?P<office>ministers?|presidents?|director-general|directors?|chair(?:man|person|woman)?s?|"
    r"secretary[- ]general|commissioners?|ambassadors?|governors?|mayors?|deans?|rectors?|heads?|"
    r"leaders?|chiefs?)"
    r"|(?P<verb>heads|headed|leads|led|runs|ran|directs|directed|presides|presided|chairs|chaired))\b",
    re.I,
)
# 'Deputy Director-General', 'Vice President', 'acting head': not the office itself.
_DEPUTY = re.compile(r"\b(deputy|vice|assistant|acting|associate|under)[- ]", re.I)


@dataclass(frozen=True)
class Detail:
    """A detail a question asks for: its kind (``DAY``, ``TITLE``, ``GIVEN_NAME``, ``OFFICE``)
    and, for an office, the words an answer must name it by (a regular expression)."""

    kind: str
    office: str = ""

    @property
    def needs_names(self) -> bool:
        """Whether ``gives_detail`` reads the tagger's names of the answer."""
        return self.kind in (TITLE, GIVEN_NAME)


def asked_detail(question: str) -> Detail | None:
    """The detail ``question`` asks for, or None when it asks for none of them."""
    if _ASKS_DAY.search(question):
        return Detail(DAY)
    if _ASKS_GIVEN_NAME.search(question):
        return Detail(GIVEN_NAME)
    if _ASKS_TITLE.search(question) and not _ASKS_OTHER.search(question):
        return Detail(TITLE)
    match = _ASKS_OFFICE.search(question)
    if match is None:
        return None
    word = (match.group("office") or match.group("verb")).lower()
    if not match.group("verb"):
        word = word if word in _OFFICES or word in _ALIASES else word.rstrip("s")
        word = _ALIASES.get(word, word)
    return Detail(OFFICE, _OFFICES.get(word, _HEADING))


def gives_detail(detail: Detail, question: str, text: str, names: Iterable[tuple[str, str]]) -> bool:
    """True when ``text`` (tagged: ``names``, (text, label) pairs) gives the detail asked
    for in ``question``."""
    if detail.kind == DAY:
        return bool(_STATES_DAY.search(text))
    if detail.kind == OFFICE:
        held = (m.start() for m in re.finditer(rf"\b({detail.office})\b", text, re.I))
        return any(_DEPUTY.search(question) or not _DEPUTY.search(text[max(0, i - 12) : i]) for i in held)
    asked = set(_words(question))
    if detail.kind == TITLE:
        # A tagged work of one word is no title: the tagger calls the degree in '(2006 PhD, Osaka
        # University)' a work of art.
        return bool(_STATES_TITLE.search(text)) or any(
            label in _WORK_LABELS and len(name.split()) > 1 and name.lower() not in question.lower()
            for name, label in names
        )
    return any(
        label == "PERSON" and any(w not in asked and w not in _HONORIFICS for w in _words(name))
        for name, label in names
    )


def _words(text: str) -> list[str]:
    """Lower-cased words, a possessive's 's apart ('nishimura's' is 'nishimura', 's')."""
    return re.findall(r"\w[\w-]*", text.lower())
