"""`accord demo`: one quarter of a cold-chain partnership between Northwind Logistics (the supplier) and
Southwind Foods (the customer), played through the real app with no Slack account.

Northwind's people use `/accord`; Southwind's people, whose workspace does not have Accord installed,
use only buttons and `@accord` mentions, as they would in a Slack Connect channel.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.demo.transcript import Transcript
from bot.demo.world import CHANNEL, World
from bot.report import render_html
from commands.report import gather
from commands.rmp import export
from storage.engine import transaction

# Monday 4 January 2027, 10:30 in London: after the quarter's first review time (10:00 on its first working
# day, 1 January being a holiday), so that the first review falls due in April
START = datetime(2027, 1, 4, 10, 30, tzinfo=UTC)
NORTH = ("alice", "erin", "hank")
SOUTH = ("bob", "carol", "joe", "dana")
# Rounds open every 4 weeks on Monday, on the next day both parties work: 18 January and 15 February are
# public holidays in New York (Martin Luther King Day, Washington's Birthday), so those rounds open on the
# Tuesday. Each side's mean rating of the six statements (the last is trust; each person rates a little
# differently, the means are these), and what Southwind reports for the two KPIs and the service level (#3, alarms
# answered within 2 hours: promised at 95 %) Northwind owns: the service level is missed in round 2.
ROUNDS = (
    ("2027-01-19", [4, 4, 4, 4, 4, 4], [3, 3, 4, 3, 3, 3], {"1": "97", "2": "96", "3": "98"}),
    ("2027-02-16", [4, 4, 4, 3, 4, 4], [3, 2, 2, 3, 3, 2], {"1": "93", "2": "91", "3": "89"}),
    ("2027-03-15", [5, 4, 4, 4, 4, 4], [3, 3, 3, 3, 3, 2], {"1": "88", "2": "94", "3": "96"}),
)
# When each person answers on a round's first day (London time, after their prompt at 09:30 in London,
# Paris, New York or Chicago): each at a moment of their own, so that the round's message, edited in place,
# counts the answers in one by one as they come
ANSWERS_AT = {"hank": "09:10", "alice": "10:05", "erin": "11:40", "bob": "14:50", "joe": "15:20", "dana": "15:45",
              "carol": "16:10"}
SKIPS = {2: "dana"}  # Dana skips round 2: Southwind still has three answers, so its figures are shown
COMMENTS = {  # (round, person): the comment, and whether it is shared with the partner
    (2, "erin"): ("Southwind's dock turns our trucks away after 16:00; worth raising with Carol.", False),
    (2, "joe"): ("Two loads sat warm at the dock this month. Could we see the logger data every day?", True),
}


def spread(means: list[int], people: int, turn: int) -> list[list[int]]:
    """Each of `people` (3 or more) rates around the party's means: +1, -1 and 0 in turn on each statement,
    so the means stay exact; a mean of 1 or of 5 is everyone's rating."""
    steps = (1, -1, *[0] * (people - 2))
    return [[rating + steps[(person + index + turn) % people] if 1 < rating < 5 else rating
             for index, rating in enumerate(means)] for person in range(people)]


@dataclass
class Outputs:
    """What the demo leaves in its folder."""

    transcript: Path
    chart: Path
    plan: Path
    report: Path


def at(day: str, clock: str = "09:00") -> datetime:
    """A moment in UTC."""
    return datetime.fromisoformat(f"{day}T{clock}:00+00:00")


class Demo:
    """The quarter, step by step; `pause` seconds between steps so a reader can follow."""

    def __init__(self, world: World, *, pause: float) -> None:
        self.world, self.pause = world, pause

    def step(self, text: str) -> None:
        """Narrate the next step."""
        self.world.transcript.say(self.world.clock.now, text)
        if self.pause:
            time.sleep(self.pause)

    def play(self) -> None:
        """The whole quarter."""
        self.set_up()
        self.plan()
        for number, (day, north, south, kpis) in enumerate(ROUNDS, start=1):
            self.check_in(number, day, north, south, kpis)
            if number == 2:
                self.comments()
                self.dispute()
                self.cannot_complete()
                self.idea()
        self.deliver_idea()
        self.values()
        self.review()

    # -- the steps --------------------------------------------------------------------------------

    def set_up(self) -> None:
        w = self.world
        self.step("Alice (Northwind's SER) sets Accord up in the shared Slack Connect channel.")
        w.form("alice", "setup", {
            "name": "Northwind–Southwind cold chain", "party_1": "Northwind Logistics", "party_2": "Southwind Foods",
            "mode": "connect", "timezone": "Europe/London",
            "timezone_1": "Europe/London", "holiday_region_1": "GB-ENG",
            "timezone_2": "America/New_York", "holiday_region_2": "US-NY", "working_hours_2": "08:30-17:00",
            "checkin_cadence": "every 4 weeks on monday at 09:30",
            "review_cadence": "quarterly on the first working day at 10:00",
        })
        self.step("Everyone joins with the button; Southwind's people have no /accord, so they use buttons "
                  "and @accord mentions.")
        for name in ("erin", "hank", "bob", "carol", "joe", "dana"):
            w.click(name, "Join")
        w.slash("alice", "role <@U0ALICE> ser")
        w.slash("alice", "role <@U0ERIN> manager")
        w.mention("bob", "role <@U0BOB> ser")
        w.mention("bob", "role <@U0CAROL> manager")
        self.step("Both parties now have managers: what they share changes only with both. Alice proposes to flag "
                  "smaller perception gaps in check-ins; Bob approves it for Southwind with the button on the "
                  "proposal.")
        w.form("alice", "checkin settings", {"gap_threshold": "0.75"})
        w.clock.now = at("2027-01-04", "15:00")  # 10:00 in New York: Bob's working hours
        w.click("bob", "Approve (Southwind Foods)")
        self.step("Alice proposes the partnership charter: a mission, shared values and the behaviours both "
                  "commit to, which become the check-in statements. Bob approves it for Southwind.")
        w.clock.now = at("2027-01-04", "15:30")
        w.form("alice", "charter edit", {
            "mission": "Get every Southwind order to its stores cold, on time and without waste.",
            "values": "Openness\nShared risk, shared reward\nFood safety first",
            "behaviours": "Communication is open and timely\nCommitments are kept\n"
                          "Problems are raised early and resolved rather than left to fester\n"
                          "Temperature data is shared the same day\nDecisions are made jointly\n"
                          "I trust the partner to act in our joint interest",
            "use_as_statements": ["statements"]})
        w.clock.now = at("2027-01-04", "16:00")
        w.click("bob", "Approve (Southwind Foods)")

    def plan(self) -> None:
        w = self.world
        self.step("Erin fills in the joint Relationship Management Plan, with the service level Northwind promises "
                  "Southwind and the people it commits.")
        w.clock.now = at("2027-01-05", "10:00")
        w.form("erin", "kpi", {"name": "Deliveries at temperature", "unit": "%", "direction": "higher",
                               "target": "98", "red": "90", "owner_slot": "1", "reporter_slot": "2"})
        w.form("erin", "kpi", {"name": "Orders on time", "unit": "%", "direction": "higher", "target": "95",
                               "red": "85", "owner_slot": "1", "reporter_slot": "2"})
        w.form("erin", "sla", {"name": "Temperature alarms answered within 2 hours", "unit": "%",
                               "direction": "higher", "target": "95", "red": "85", "owner_slot": "1",
                               "reporter_slot": "2", "cadence": "each check-in"})
        w.slash("erin", "commit people 2 FTE – Two cold-chain engineers on call for Southwind's stores")
        w.form("erin", "objective", {"whose": "ours", "title": "Zero spoiled shipments by June",
                                     "benefit_1": "Fewer claims", "benefit_2": "Less waste"})
        self.step("A joint objective is both parties': Carol approves it for Southwind.")
        w.clock.now = at("2027-01-05", "15:00")
        w.click("carol", "Approve (Southwind Foods)")
        w.form("erin", "objective", {"whose": "1", "title": "Win the Nordic routes", "benefit_1": "Growth"})
        w.form("erin", "risk", {"description": "Reefer trucks fail in a heatwave", "likelihood": "2", "impact": "5",
                                "owner": "U0HANK", "mitigation": "Spare units on standby"})
        w.form("erin", "action", {"description": "Share the delivery schedule weekly", "owner": "U0ERIN",
                                  "due_on": "2027-01-15"})
        w.form("erin", "action", {"description": "Install data loggers in 12 trucks", "owner": "U0HANK",
                                  "due_on": "2027-03-31"})
        w.form("erin", "exit", {"kind": "kpi_red", "description": "Deliveries at temperature red 3 rounds running",
                                "kpi": "1", "periods": "3"})
        w.click("bob", "Approve (Southwind Foods)")  # the exit strategy is joint too
        w.slash("erin", "exit reviewed")
        self.step("Carol (Southwind) adds an action from the status message's button.")
        w.mention("carol", "status")
        w.click("carol", "Add action")
        errors = w.submit("carol", {"description": "Send the receiving-dock hours", "owner": "U0CAROL",
                                    "due_on": "2027-01-12"})
        assert not errors, errors
        w.advance(at("2027-01-08", "12:00"))
        w.mention("carol", "action done 3")
        w.slash("erin", "action done 1")

    def check_in(self, number: int, day: str, north: list[int], south: list[int], kpis: dict[str, str]) -> None:
        w = self.world
        if number == 1:
            self.step("Check-in round 1: one message in the channel counts the answers per party, naming nobody. "
                      "Each person is asked at 09:30 in their own timezone: Northwind's people by DM, Southwind's "
                      "(whom Accord cannot DM) by a message only they see in the channel.")
        else:
            self.step(f"Check-in round {number}: the round's message is updated in place as people answer.")
        skipper = SKIPS.get(number)
        ratings: dict[str, list[int]] = {}
        for side, means in ((NORTH, north), (SOUTH, south)):
            answering = [name for name in side if name != skipper]
            ratings.update(zip(answering, spread(means, len(answering), number), strict=True))
        for name, clock in sorted(ANSWERS_AT.items(), key=lambda pair: pair[1]):
            w.advance(at(day, clock))
            if name == skipper:
                w.click(name, "Skip this round")
                continue
            w.click(name, "Answer the check-in")
            answers: dict[str, Any] = {f"stmt_{i}": str(r) for i, r in enumerate(ratings[name])}
            if name == "bob":
                answers.update({f"kpi_{k}": v for k, v in kpis.items()})
            if (number, name) in COMMENTS:
                comment, shared = COMMENTS[(number, name)]
                answers.update({"comment": comment, "share": ["share"] if shared else []})
            errors = w.submit(name, answers)
            assert not errors, errors
        self.step(f"Round {number} closes after three working days: its message becomes the summary, with the "
                  "KPIs and changes in its thread.")
        w.advance(at(day, "21:00") + timedelta(days=3))

    def comments(self) -> None:
        w = self.world
        self.step("Comments reach the commenter's own SERs and managers without names: Alice's and Erin's prompts "
                  "now hold Northwind's; Carol (15:00 in Chicago) reads Southwind's with the summary's button. The "
                  "one shared with the partner is in the round's thread too.")
        w.click("carol", "Comments for my organisation")

    def dispute(self) -> None:
        w = self.world
        self.step("Joe reports a problem; Carol raises it as a dispute from the message's thread.")
        w.advance(at("2027-02-22", "10:00"))
        evidence = w.say("joe", "Three deliveries last week arrived above 5°C and we had to bin them.")
        w.mention("carol", "dispute", thread_ts=evidence)
        w.click("carol", "Open the dispute form")
        errors = w.submit("carol", {"title": "Warm deliveries", "severity": "high",
                                    "description": "Three deliveries in week 7 arrived above 5°C.",
                                    "desired_outcome": "Credit for the lost stock and a fix"})
        assert not errors, errors
        self.step("Nobody settles it at working level: the timer warns at 75%, then climbs to the managers.")
        w.advance(at("2027-03-02", "12:00"))
        self.step("Erin proposes a resolution; Carol, at the managers' level for Southwind, accepts it.")
        w.click("erin", "Propose resolution")
        assert not w.submit("erin", {"resolution": "Credit for the three loads; loggers checked at every stop"})
        w.clock.now = at("2027-03-02", "15:00")
        w.click("carol", "Accept")
        assert not w.submit("carol", {"lessons": "Share logger data daily so problems show up the same day"})

    def cannot_complete(self) -> None:
        w = self.world
        self.step("Hank cannot install all the loggers this quarter, and says why.")
        w.clock.now = at("2027-03-09", "11:00")
        w.form("hank", "action cannot 2", {"reason": "The logger supplier delivers only in May"})

    def idea(self) -> None:
        w = self.world
        self.step("Joe suggests an improvement born of the dispute; Erin agrees it for Northwind with the button "
                  "on the idea's message, which is updated in place from then on.")
        w.advance(at("2027-03-10", "15:00"))
        w.mention("joe", "idea Share the trucks' logger data with the receiving dock every day")
        w.advance(at("2027-03-11", "10:00"))
        w.click("erin", "Agree (Northwind Logistics)")
        w.click("erin", "Start")

    def deliver_idea(self) -> None:
        w = self.world
        self.step("Northwind delivers the idea: the dock now sees each truck's temperatures the same day.")
        w.advance(at("2027-03-22", "11:00"))
        w.click("erin", "Done")

    def values(self) -> None:
        w = self.world
        self.step("Both sides record what the partnership cost and brought them this quarter.")
        w.advance(at("2027-03-25", "10:00"))
        w.form("alice", "value", {"party_slot": "1", "kind": "benefit", "amount": "42000",
                                  "description": "New routes in the South West"})
        w.mention("bob", "value")
        w.click("bob", "Open the value form")
        assert not w.submit("bob", {"party_slot": "2", "kind": "benefit", "amount": "12000",
                                    "description": "Less spoiled stock"})
        w.mention("bob", "value")
        w.click("bob", "Open the value form")
        assert not w.submit("bob", {"party_slot": "2", "kind": "cost", "amount": "8000",
                                    "description": "Receiving-dock overtime"})

    def review(self) -> None:
        w = self.world
        self.step("The quarterly review falls due on the first working day of April.")
        w.advance(at("2027-04-01", "09:30"))
        self.step("Before signing off, each party states how far its expectations were met, and both record what "
                  "went wrong and how to avoid it: the review's one message shows it all, updated in place.")
        w.clock.now = at("2027-04-01", "13:30")
        w.click("erin", "State our expectations")
        assert not w.submit("erin", {"score": "4", "note": "Deliveries held up; the warm loads in February hurt"})
        w.click("erin", "Add a lesson")
        assert not w.submit("erin", {"failure": "Warm loads reached the dock unnoticed for a week",
                                     "reason": "Logger data was read only at month end",
                                     "avoidance": "Share logger data with the dock every day (idea #1)"})
        w.clock.now = at("2027-04-01", "15:30")  # 10:30 in New York
        w.click("bob", "State our expectations")
        assert not w.submit("bob", {"score": "3", "note": "Service level missed once; the dispute took three weeks"})
        self.step("Both SERs sign the review off with its button, recording the plan version and that they "
                  "reviewed the exit strategy.")
        w.clock.now = at("2027-04-01", "16:00")
        w.click("alice", "Sign off (SER)")
        assert not w.submit("alice", {"reviewed": ["plan", "exit"]})
        w.clock.now = at("2027-04-01", "16:30")
        w.click("bob", "Sign off (SER)")
        assert not w.submit("bob", {"reviewed": ["plan", "exit"]})


def write_outputs(world: World, directory: Path) -> Outputs:
    """transcript.md, the review chart, the exported plan and the audit report."""
    transcript = directory / "transcript.md"
    transcript.write_text(world.transcript.markdown("Accord demo: a quarter of Northwind and Southwind"),
                          encoding="utf-8")
    chart = directory / "review-1-chart.png"
    charts = [f for f in world.fake.files.values() if str(f.get("title", "")).startswith("Review #1 chart")]
    if not charts or charts[0]["bytes"] is None:
        raise RuntimeError("the review's chart never reached Slack")
    chart.write_bytes(charts[0]["bytes"])
    plan = directory / "plan.yaml"
    with transaction(world.engine) as db:
        plan.write_text(export.dump_text(export.export_plan(db, channel_id=CHANNEL), "yaml"), encoding="utf-8")
        audit = gather.for_channel(db, channel_id=CHANNEL, now=world.clock.now)
    report = directory / "report.html"
    report.write_text(render_html(audit), encoding="utf-8")
    return Outputs(transcript, chart, plan, report)


def run(directory: Path, *, fast: bool, transcript: Transcript) -> Outputs:
    """Play the quarter in `directory`; returns where the outputs are."""
    with World.running(directory, start=START, transcript=transcript) as world:
        Demo(world, pause=0.0 if fast else 0.25).play()
        return write_outputs(world, directory)
