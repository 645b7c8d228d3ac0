"""Listeners: translate a Slack payload, call one command, render the result."""
