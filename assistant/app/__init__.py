"""The chat app: a loaded Retriever in, a Gradio web page out.

`layout.build_app` wires the page (one `chat.Chat` per browser session, votes to `feedback`, which
appends through `jsonlog`); `server.serve` checks the address and the log, launches the app behind
`guard.Guard` (the routes it uses, bounded requests, a fair queue) and says where it listens. Gradio
is imported only here.
"""
