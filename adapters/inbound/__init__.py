"""Inbound adapters: each turns one provider's request into raw RFC 822 bytes and an envelope."""
