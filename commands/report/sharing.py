"""The audit report shared as a file from Slack: in a review's thread (its button there) or to the person who asked
(App Home's button). The report is gathered now and drawn when the outbox shares it (file view "audit_report")."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from commands import outgoing
from commands.actor import Actor
from commands.errors import InputError
from commands.report import gather
from commands.reviews.runs import root_key
from commands.rmp import access
from storage.reviews import Review

VIEW = "audit_report"


def share(db: Session, *, actor: Actor, now: datetime, review_number: int | None = None) -> str:
    """Queue the report of the actor's relationship (anyone in it: it holds only what its channel was shown):
    in review `review_number`'s thread, or in the app's DM with the actor; returns what to tell them. A second
    click in the same minute shares nothing more."""
    me = access.member(db, actor)
    relationship = me.relationship
    report = gather.gather(db, relationship, now=now)
    stamp = f"{now:%Y%m%dT%H%M}"
    if review_number is not None:
        review = db.exec(select(Review).where(Review.relationship_id == relationship.id,
                                              Review.number == review_number)).first()
        if review is None:
            raise InputError(f"There is no review #{review_number} in this relationship.")
        outgoing.upload_file(db, key=f"{VIEW}:{relationship.id}:review:{review.id}:{stamp}",
                             channel=relationship.channel_id, thread_of=root_key(review), view=VIEW, data=report,
                             now=now)
        return f"The audit report is on its way to review #{review_number}'s thread, as an HTML file to open " \
               "in a browser."
    outgoing.upload_file(db, key=f"{VIEW}:{relationship.id}:{actor.user_id}:{stamp}", channel=relationship.channel_id,
                         user=actor.user_id, view=VIEW, data=report, now=now)
    return f"The audit report of *{relationship.name}* is on its way to you in a direct message, as an HTML file " \
           "to open in a browser."
