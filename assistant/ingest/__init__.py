"""Files in, entries out: FAQ files (or a folder of them) become question/answer `Entry`s, each citing
the lines it stands on. Per-format readers in `formats.py`, scraping repairs in `cleaning.py`; no
machine-learning imports, so reading a corpus stays cheap and testable on its own.
"""
