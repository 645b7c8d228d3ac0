"""The offline demo and console: Accord with the built-in fake Slack, no Slack account needed."""
