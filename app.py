"""Serve the chat app: `python app.py [--host H] [--port P] [--corpus C] [--index I] [--model M] [--feedback-log F]`.

The same as `assistant serve`; see README, "Chat app".
"""

import sys

from assistant.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
