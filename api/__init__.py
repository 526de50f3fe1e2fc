"""The HTTP layer and the composition root."""
