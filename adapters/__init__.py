"""Adapters: the outside world (HTTP providers, databases, SMTP, IMAP) around the domain."""
