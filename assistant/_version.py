"""The package version, read from the installed package's metadata (pyproject.toml is the one source).

A module of its own so that nothing needs to import the package root for it: the root imports the
Retriever, which imports the index, which stamps the version in its manifest.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("faq-assistant")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
