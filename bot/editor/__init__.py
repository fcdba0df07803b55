"""Editor pages: the knowledge bank's coverage, answer editing with preview, and the feed
of questions the bot could not answer. Signed-in editors (and admins) only."""
