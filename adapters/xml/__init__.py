"""XML transactions as bytes: reading them safely (defusedxml) and writing the responses."""
