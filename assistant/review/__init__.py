"""The review loop: question logs in, topics for the FAQ's owners out.

topics.py picks the questions the FAQ did not answer well (declined, hedged, down-voted), merges
repeated wordings and groups them by meaning; diagnose.py asks the Retriever which entry is closest
to each topic and whether it is missing content or missing wording; output.py writes the terminal
summary, `report.html`, draft entries and alternate questions. `run.review` joins the steps.
"""
