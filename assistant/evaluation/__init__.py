"""Question sets in, a report out: `questionsets` reads and matches them to entries, `evaluate` asks
every question through `Retriever.batch_answer`, `metrics` computes the figures, `report` writes
the results, the plots and a self-contained HTML page.
"""
