"""What kind of name a question asks for, and whether an answer gives one.

'Who succeeded Ogata as President of JICA?' asks for a person; 'Which country chaired the
network before Canada?' for a country. The texts cannot answer either, and the sentence the
answer stage finds for each is on the right topic but names no one, or no country, the
question does not already name. Such an answer is refused (``unmet_type``), as one that states
no count is refused to 'how many'. The names come from a named-entity tagger
(``service.models.name_tagger``, OntoNotes labels); this module is the pure logic around it.

A *who* question asks for a person when it names a role only a person holds ('president',
'chaired', 'author'). Any other *who* question asks for no name: a kind of people answers it as
often as a name ('Whom does JICA regard as society's most vulnerable members?' – 'people living
in poverty, those with disabilities …'). Refusing its answers for naming no body, people or place
cost more right answers than it refused unanswerable questions (BENCHMARKS.md, the
twenty-first session).

'What did Lloyd Axworthy say about Japan's Trust Fund?' asks for the words of a person it names
(``asked_speaker``). The texts never quote him on it, and the sentence found for it is about the
fund, with no word of his. An answer that neither names that person nor follows a sentence
that does (``names_speaker``: the answer and the sentences before it, where 'Mr. Misran …
made a keynote speech' introduces what 'He pointed out' says) is refused too. So is one
that names them but says nothing of what they are asked about ('What did Mrs. Ogata say about
Afghanistan?' and the sentence saying she gave a keynote speech: ``speaks_of``). A question
about how a person judged something asks for their words too: 'How did Lloyd Axworthy assess
Japan's Trust Fund?', 'What is Professor Kurusu's view of the Responsibility to Protect?'.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from service.analysis import WORD, analyze, name_forms, written_forms

PERSON = frozenset({"PERSON"})
COUNTRY = frozenset({"GPE", "NORP"})
CITY = frozenset({"GPE", "LOC", "FAC"})
BODY = frozenset({"ORG"})

# Offices and callings of a person, not of a body: 'Which economist …?' asks for a person.
_PERSON_NOUN = (
    r"(president|vice[- ]president|minister|premier|chair(man|person|woman)?|head|leader|director|"
    r"secretar(y|ie)|author|founder|successor|predecessor|moderator|representative|ambassador|"
    r"commissioner|official|spokes(man|person|woman)|king|queen|emperor|governor|mayor|chief|envoy|"
    r"delegate|speaker|economist|professor|scholar|diplomat|politician|person)s?"
)
# A who question naming one of them, or a deed of one, asks for a person.
_PERSON_ROLE = re.compile(
    rf"\b({_PERSON_NOUN}|chaired|chairs|heads|headed|leads?|led|direct(s|ed)|authored|founded|"
    r"succeed\w*|moderat\w*|represent\w*|in charge)\b",
    re.I,
)
# 'Which African countries', 'what other city'; not 'What does the City Council …' nor 'What
# kind of city …'.
_WHICH = (
    r"\b(which|what)\s+((?!(is|are|was|were|do|does|did|has|have|had|the|a|an|kind|type|sort)\b)\w+\s+){0,2}?"
)
# 'What chief strength do the authors see …': an office before a noun and a verb is an adjective.
_NOT_A_PERSON = r"(?!\s+[a-z]+\s+(do|does|did|is|are|was|were|has|have|had|can|could|will|would)\b)"
_ASKED: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (re.compile(_WHICH + _PERSON_NOUN + r"\b" + _NOT_A_PERSON, re.I), PERSON),
    (re.compile(_WHICH + r"(countr(y|ies)|nations?)\b", re.I), COUNTRY),
    (re.compile(_WHICH + r"(city|cities|towns?)\b", re.I), CITY),
    (
        re.compile(
            _WHICH + r"(ngos?|organi[sz]ations?|agenc(y|ies)|universit(y|ies)|institutions?|compan(y|ies))\b",
            re.I,
        ),
        BODY,
    ),
)
# Words of a name that say nothing of which one it is.
_FILLER = frozenset({"the", "of", "and", "for", "on", "in", "de", "von"})
# 'What did X say / think / propose …': X is whose words are asked for.
_SAID = re.compile(
    r"\bwhat\s+(did|does|do|has|had|have)\s+(?P<who>.+?)\s+(say|said|think|propose|announce|recommend|"
    r"argue|conclude|pledge|decide|note|suggest|emphasi[sz]e|mean|describe|call|report|stress|urge|"
    r"introduce)\b",
    re.I,
)
# 'How did X respond to …', 'What is X's view of …': X's words or judgement are asked for too.
_JUDGED = (
    re.compile(
        r"\bhow\s+(did|does|do|has|had|have)\s+(?P<who>.+?)\s+(respond|react|reply|assess|view|see|regard|"
        r"evaluate|judge|describe|characteri[sz]e)\b",
        re.I,
    ),
    re.compile(
        r"\bwhat\s+(was|is|were|are)\s+(?P<who>[^?]+?)['’]s?\s+(views?|assessment|position|reaction|response|"
        r"opinion|verdict|stance|criticisms?|recommendations?|conclusions?)\b",
        re.I,
    ),
)
# '… say about / on / regarding Y': what the speaker is asked to have said something about;
# '… respond to Y', '… view of Y' too.
# ('… say to Y' names whom it was said to, not a topic.)
_ABOUT = r"about|on|regarding|concerning"
_TOPIC = re.compile(rf"^\s*({_ABOUT})\s+(?P<topic>.+?)\W*$", re.I)
_JUDGED_TOPIC = re.compile(rf"^\s*({_ABOUT}|to|of)\s+(?P<topic>.+?)\W*$", re.I)
# Titles and offices before a speaker's name: 'Mr.', 'ASEAN Secretary General', 'the former'.
_TITLE = frozenset(
    {
        *_FILLER,
        "mr",
        "ms",
        "mrs",
        "dr",
        "prof",
        "professor",
        "sir",
        "secretary",
        "general",
        "minister",
        "prime",
        "foreign",
        "president",
        "former",
        "his",
        "her",
        "their",
        "its",
    }
)


def asked_labels(question: str, asks_who: bool) -> frozenset[str]:
    """The labels of the names one of which answers ``question`` (empty: it asks for none).
    ``asks_who``: its first question word is who, whom or whose
    (``service.retrieval.answering.question_type``)."""
    if asks_who:
        return PERSON if _PERSON_ROLE.search(question) else frozenset()
    for pattern, labels in _ASKED:
        if pattern.search(question):
            return labels
    return frozenset()


def gives_asked_name(question: str, names: Iterable[tuple[str, str]], labels: frozenset[str]) -> bool:
    """True when one of ``names`` (text, label) has one of ``labels`` and is not one the
    question already names. A person is the question's own when it shares a word with it
    ('OGATA Sadako' and 'Ogata'); a body or place only when all its words are the question's
    ('the Ministry of Foreign Affairs of Japan' is not 'Japan')."""
    asked = written_forms(question)
    for text, label in names:
        if label not in labels:
            continue
        words = [w for w in WORD.findall(text.lower()) if w not in _FILLER]
        known = [bool(name_forms(w) & asked) for w in words]
        if words and not (any(known) if label == "PERSON" else all(known)):
            return True
    return False


def asked_speaker(question: str, names: Iterable[tuple[str, str]]) -> list[str]:
    """The words (lower-cased, titles left out) naming the person whose words ``question`` asks
    for ('What did Lloyd Axworthy say about …' → ['lloyd', 'axworthy']), or none: it asks no
    such thing, or the tagger (``names``: the question's own, (text, label)) finds no person
    in what it says did the saying ('What did the report recommend?')."""
    said, _ = _asked_words(question)
    if said is None:
        return []
    who = said.group("who")
    tagged = [(text, label) for text, label in names if text in who]
    if not any(label == "PERSON" for _, label in tagged):
        return []
    # A body or place beside the name is not the speaker ('ASEAN Secretary General Surin').
    other = {w.lower() for text, label in tagged if label != "PERSON" for w in WORD.findall(text)}
    words = (w.lower() for w in WORD.findall(who))
    return [w for w in words if w not in _TITLE and w not in other and len(w) > 2]


def asked_topic(question: str) -> list[str]:
    """The words (analysed: ``service.analysis.analyze``) of what a 'what did X say about Y'
    question asks X to have said something about (Y; 'how did X respond to Y', 'what is X's view
    of Y'), or none."""
    said, topic_pattern = _asked_words(question)
    topic = topic_pattern.match(question[said.end() :]) if said else None
    return analyze([topic.group("topic")])[0] if topic else []


def _asked_words(question: str) -> tuple[re.Match[str] | None, re.Pattern[str]]:
    """Where ``question`` asks what someone said (``_SAID``) or how they judged something
    (``_JUDGED``), with the pattern of the topic that may follow."""
    said = _SAID.search(question)
    if said is not None:
        return said, _TOPIC
    return next((m for p in _JUDGED if (m := p.search(question))), None), _JUDGED_TOPIC


def speaks_of(topic: list[str], text: str) -> bool:
    """True when ``text`` (the answer itself) holds a word of the ``topic`` asked about, or no
    topic was asked about: 'Keynote speeches were presented by Mrs. Sadako Ogata …' says
    nothing of Afghanistan."""
    return not topic or bool(set(topic) & set(analyze([text])[0]))


def names_speaker(words: list[str], text: str) -> bool:
    """True when ``text`` (an answer with the sentences before it) holds any of the speaker's
    ``words`` in some written form ('Sen' for 'Amartya Sen')."""
    written = written_forms(text)
    return any(name_forms(w) & written for w in words)
