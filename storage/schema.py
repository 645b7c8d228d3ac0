"""Every table module, imported so that SQLModel.metadata holds the whole schema."""

from sqlmodel import SQLModel

from storage import checkins, disputes, models, reviews, rmp

metadata = SQLModel.metadata
__all__ = ["checkins", "disputes", "metadata", "models", "reviews", "rmp"]
