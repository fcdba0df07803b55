"""The staff console: the handoff queue, conversations, replies and tickets, live."""
