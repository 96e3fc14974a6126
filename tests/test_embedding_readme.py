"""The README's "Embedding" example runs as written and prints what the README shows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def embedding_example() -> tuple[str, str]:
    """The section's Python code block and the text block that shows its output."""
    section = README.read_text(encoding="utf-8").split("\n## Embedding\n", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    output = re.search(r"```text\n(.*?)```", section, re.S)
    assert code and output, "the Embedding section needs a python block and a text block of its output"
    return code.group(1), output.group(1)


def test_the_readme_embedding_example_runs_as_written(tmp_path, monkeypatch, embedder):
    code, expected = embedding_example()
    monkeypatch.chdir(tmp_path)  # it saves "faq-index" in the working folder
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md (Embedding)", "exec"), {"__name__": "readme"})
    assert printed.getvalue() == expected
    assert (tmp_path / "faq-index" / "manifest.json").is_file()
