"""MIME: reading inbound messages (stdlib email, compat32, lazily) and composing outbound ones."""
