"""Hostile input: a corpus of requests, each with the answer it must get."""
