"""The chat app: a loaded Retriever in, a Gradio web page out.

`layout.build_app` wires the page (one `chat.Chat` per browser session, votes to `feedback`);
`server.serve` checks the address, launches it and says where it listens. Gradio is imported only here.
"""
