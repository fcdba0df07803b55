"""Code shared by the gateway (`bot/`), the action server (`actions/`) and the tools.

Languages, translations and the knowledge bank are needed on both sides of the Rasa
server, so they live here rather than in either process.
"""
