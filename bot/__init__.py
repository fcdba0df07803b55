"""The gateway: channels (web API, later Telegram and the widget), conversation routing,
the handoff inbox and the staff console. It is Rasa's only client."""
