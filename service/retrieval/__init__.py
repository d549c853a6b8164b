"""Retrieval: from a question and a loaded index to ranked passages and an answer.

``lexical`` scores words and names, ``ranking`` holds the pure ranking functions (RRF, top-k,
best-sentence and best-answer orders), ``answering`` builds answer candidates and their
features, and ``search.Searcher`` runs the stages in order. Nothing here knows of HTTP.
"""
