"""Block Kit builders: pure functions from a command's result to text and blocks."""
