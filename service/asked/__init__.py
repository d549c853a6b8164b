"""What a question asks for, and whether an answer gives it: the pure logic behind the answer
model's refusals (``service.models.answer_model``: ``unmet_type`` and the checks beside it).

'Who succeeded Ogata as President of JICA?' asks for a person; 'How much did Japan give?' for
a sum; 'What did Mrs. Ogata say about Afghanistan?' for her words on it. The texts often hold a
sentence on the right topic that gives none of these, and the answer model refuses it. These
modules read the question's and the answer's words (and the names the tagger found in them,
passed in as arguments), never a model or an index, so their tests need neither.

    names.py          the kind of name asked for, and whose words
    amounts.py        a sum of money or a share
    details.py        a day, a title, a given name or an office's holder
    negation.py       what is not so
    given_numbers.py  the years and numbers a question gives
    opposites.py      the opposite of what is asked

They build on the foundation (``service.analysis``, ``service.cues``) and import no layer;
``service.models`` and ``service.retrieval`` use them.
"""
