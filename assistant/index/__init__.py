"""Entries in, an index folder out: answers chunked into passages (`chunking`), each entry embedded in
several views (`views`, `embedder`), the vectors in FAISS (`vectors.VectorIndex`, the one module
that imports FAISS), BM25 over the words (`lexical`), acronyms the corpus defines (`acronyms`);
`build` indexes in memory or writes the folder atomically (`folder`), `store` reads it back checked;
`update` re-indexes after entries are added or removed, embedding only what changed.
"""
