"""Disputes: raised by one party, climbing the agreed ladder on working-day timers until resolved."""
