"""Benchmarks: speed against the bare limit (one encode + one FAISS search), cold start, and scale.

`python -m benchmarks.run` (or `make bench`) measures everything and writes benchmarks/RESULTS.md;
`python -m benchmarks.scale --size 1000000` adds the one-million-passage figures;
`python -m benchmarks.equality --base REV` checks that rankings are unchanged against a git revision.
"""
