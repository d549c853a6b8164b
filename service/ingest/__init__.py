"""Ingest: from the corpus folder to a published index.

``loaders`` read each file format, ``corpus`` joins texts with their catalogue entries,
``chunking`` cuts them into sentences and passages, ``sentence_facts`` records what the answer
stage needs of each sentence, ``embed_cache`` keeps vectors of unchanged documents, and
``indexer`` runs it all and publishes the build atomically. Nothing here imports retrieval.
"""
