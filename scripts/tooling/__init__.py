"""Tooling for the scripts and the tests, kept out of the product package: evaluation
metrics and runs, SQuAD corpora for training and validation, a uvicorn child process."""
