"""faq-assistant: answers questions from an FAQ with local retrieval only.

Every answer is a passage taken word for word from the FAQ, with a citation to where it stands.

    from assistant import Retriever
    r = Retriever.load()                          # index/ and corpus/; builds when missing or stale
    hits = r.search("is the swap file encrypted?", k=5)
    ans = r.answer("and for Intel?", history=["Can I do attestation for AMD confidential VMs?"])
    ans.found, ans.hits[0].text, ans.hits[0].citation, ans.markdown

    r = Retriever.from_entries([{"question": "How do I reset it?", "answer": "Hold the button."}])
    r.add([{"id": "slow", "question": "Why is it slow?", "answer": "Update it."}]); r.remove(["slow"])

Heavy libraries (torch, sentence-transformers, FAISS) load on first use, not on import.
"""

from ._version import __version__
from .answer import Answer
from .config import DEFAULT_MODEL, Settings
from .errors import AssistantError, CorpusError, EntryError, IndexFileError, QuestionSetError
from .index.chunking import Passage
from .index.embedder import Embedder
from .index.update import Update
from .ingest.corpus import Corpus, load_corpus
from .ingest.entry import Entry
from .ingest.objects import EntryLike
from .search.hit import Hit
from .search.retriever import Retriever

__all__ = [
    "DEFAULT_MODEL",
    "Answer",
    "AssistantError",
    "Corpus",
    "CorpusError",
    "Embedder",
    "Entry",
    "EntryError",
    "EntryLike",
    "Hit",
    "IndexFileError",
    "Passage",
    "QuestionSetError",
    "Retriever",
    "Settings",
    "Update",
    "__version__",
    "load_corpus",
]
