"""Files in, entries out: FAQ files (or a folder of them) become question/answer `Entry`s, each citing
the lines it stands on.

One reader per format (`readers/`: Markdown, reST, AsciiDoc, HTML, Org, plain text, tables) turns a
file into a tree of titled sections (`document.py`); one structure step (`structure.py`) decides
which sections are entries; `answer_text.py` turns their bodies into plain answer text with line
offsets and marks; `corpus.py` walks the corpus folder and says when a file reads badly;
`objects.py` reads entries given as Python objects (dicts) as a JSONL row is read. No
machine-learning imports, so reading a corpus stays cheap and testable on its own.
"""
