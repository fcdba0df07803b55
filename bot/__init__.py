"""The gateway: channels (the chat API, the web widget, Telegram), the turn pipeline, the
staff handoff and its console, the editor pages, and durable delivery. It is Rasa's only
client; docs/architecture.md shows how the parts fit."""
