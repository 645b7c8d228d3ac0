"""Every table module, imported so that SQLModel.metadata holds the whole schema (slack_sdk's OAuth stores' too)."""

from sqlmodel import SQLModel

from storage import checkins, disputes, models, partnership, reviews, rmp, slack_oauth

metadata = SQLModel.metadata
__all__ = ["checkins", "disputes", "metadata", "models", "partnership", "reviews", "rmp", "slack_oauth"]
