"""Action, block and callback ids shared by the view builders and the listeners."""

from __future__ import annotations

from enum import StrEnum


class Event(StrEnum):
    """Metadata event types Accord writes on its own messages."""

    OUTBOX = "accord_outbox"


class Callback(StrEnum):
    """Modal callback ids."""

    SETUP = "rmp.setup"
    PLAN_FORM = "rmp.form"
    CANNOT_COMPLETE = "rmp.cannot_complete"
    CHECKIN_ANSWER = "checkin.answer"
    CHECKIN_SETTINGS = "checkin.settings"
    CHECKIN_AWAY = "checkin.away"
    DISPUTE_RAISE = "disputes.raise"
    DISPUTE_TEXT = "disputes.text"
    REVIEW_VALUE = "reviews.value"
    REVIEW_EXPECT = "reviews.expectations"
    REVIEW_LESSON = "reviews.lesson"
    REVIEW_SIGN = "reviews.sign_off"
    WIN = "wins.record"
    COMMIT = "commitments.record"
    NOT_HONOURED = "commitments.not_honoured_form"
    CHARTER = "rmp.charter"
    IDEA = "ideas.raise"
    IDEA_DROP = "ideas.drop_form"
    IDEA_BENEFIT = "ideas.benefit_form"


class Act(StrEnum):
    """Button action ids; a button's value carries the channel and, where needed, a form or number."""

    JOIN = "rmp.join"
    LEAVE = "rmp.leave"  # confirms `/accord leave`; the value names the successor, if any
    OPEN_FORM = "rmp.open_form"
    ACTION_DONE = "rmp.action_done"
    ACTION_CANNOT = "rmp.action_cannot"
    ACTION_SNOOZE = "rmp.action_snooze"  # a nudge's Snooze 2 days
    STATUS = "rmp.status"
    CHECKIN_OPEN = "checkin.open"
    REVIEW_SIGN = "reviews.sign"
    REVIEW_EXPECT = "reviews.expectations"
    REVIEW_LESSON = "reviews.lesson"
    AUDIT_REPORT = "report.audit"  # the audit report as a file: in the review's thread, or (App Home) to the clicker
    CONTINUE = "mention.continue"  # a mentioned command that needs a form: the click gives Slack's trigger


class CommitmentAct(StrEnum):
    """Buttons on the commitments list; their value carries the channel and the commitment's number."""

    NOT_HONOURED = "commitments.not_honoured"
    HONOURED = "commitments.honoured"
    WITHDRAW = "commitments.withdraw"


class CheckinAct(StrEnum):
    """Buttons on a check-in prompt and on a round's message; their value carries the channel and the round."""

    SKIP = "checkin.skip"
    REMIND_TOMORROW = "checkin.remind_tomorrow"
    AWAY = "checkin.away"
    COMMENTS = "checkin.comments"  # a closed round's comments, for the SERs and managers of the clicker's party


class ProposalAct(StrEnum):
    """Buttons on a proposal's message; their value carries the channel and the proposal's number."""

    APPROVE = "proposals.approve"
    REJECT = "proposals.reject"
    WITHDRAW = "proposals.withdraw"


class DisputeAct(StrEnum):
    """Buttons on a dispute's messages; their value carries the channel and the dispute's number."""

    ESCALATE = "disputes.escalate"
    PROPOSE = "disputes.propose"
    PAUSE = "disputes.pause"
    RESUME = "disputes.resume"
    NOTE = "disputes.note"
    ACCEPT = "disputes.accept"
    REJECT = "disputes.reject"
    RAISE = "disputes.raise"


SHORTCUT_RAISE = "disputes.raise_from_message"
SHORTCUT_IDEA = "ideas.log_from_message"  # the message shortcut "Log as improvement"


class IdeaAct(StrEnum):
    """Buttons on an idea's message; their value carries the channel and the idea's number."""

    AGREE = "ideas.agree"
    START = "ideas.start"
    DONE = "ideas.done"
    DROP = "ideas.drop"
    BENEFIT = "ideas.benefit"
