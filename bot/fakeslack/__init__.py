"""A fake Slack Web API served over real HTTP, plus a driver sending signed requests like Slack does."""

from bot.fakeslack.driver import SlackDriver
from bot.fakeslack.fake import FakeSlack
from bot.fakeslack.state import Call, Fault

__all__ = ["Call", "FakeSlack", "Fault", "SlackDriver"]
