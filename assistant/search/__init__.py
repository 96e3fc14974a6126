"""A question in, ranked hits out: `query` prepares it (cleaning, acronyms), `followup` reads it in
its conversation, `scoring` fuses the signals per entry, `evidence` picks each hit's passage and
highlights; `retriever.Retriever` is the short orchestrator over them.
"""
