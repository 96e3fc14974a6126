"""Errors a user can act on. Each message says what went wrong and how to fix it."""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: the CLI prints these as one line and exits non-zero; the UI shows them in the chat."""


class CorpusError(AssistantError):
    """A corpus file or folder cannot be read or holds no FAQ entries."""


class EntryError(AssistantError):
    """An FAQ entry given as a Python object (`Retriever.from_entries`, `add`, `remove`) is not usable;
    the message names the entry."""


class IndexFileError(AssistantError):
    """The index on disk is missing, damaged or was built for other settings."""


class QuestionSetError(AssistantError):
    """A question set for evaluation cannot be read; the message names the file and line."""
