"""Channel adapters: each turns platform input into one `IncomingMessage` and renders
the neutral `Reply` back (text and buttons; text alone must always make sense)."""
