"""The rules of the connector: pure functions and small dataclasses, standard library only."""
