"""Every table module, imported so that SQLModel.metadata holds the whole schema."""

from sqlmodel import SQLModel

from storage import models, rmp

metadata = SQLModel.metadata
__all__ = ["metadata", "models", "rmp"]
