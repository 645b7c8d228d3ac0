"""The most characters each kind of text may hold: the one place read by the tables' columns, the forms and the
plan file importer. Changing one changes a column's size, so it needs a migration."""

SLACK_ID = 64  # user, channel, team and enterprise ids; time zone names
TIMEZONE = 64
TS = 32  # a Slack message's ts
PARTY = 80  # a party's name, as kept on logs, sign-offs and changes
TITLE = 150  # a relationship's name, an objective's or a dispute's title, a check-in statement
KPI_NAME = 100
UNIT = 30  # a KPI's unit
KPI_CADENCE = 60  # a KPI's reporting cadence, in words
LEVEL_NAME = 60  # a dispute ladder level's name
CADENCE = 200  # a check-in or review cadence such as `every 2 weeks on monday at 09:30`
HOURS = 16  # working hours such as `09:00-17:30`
REGION = 16  # a holiday region such as `GB-ENG`
DESCRIPTION = 500  # a risk, an action, an exit trigger
DETAIL = 1000  # benefits, a mitigation, a reason, a desired outcome, a cost or benefit's description, a win
LONG = 2000  # a dispute's proposal, resolution, lessons and notes; a check-in comment
DISPUTE = 3000  # a dispute's description
CODE = 24  # a log entry's kind, a change's verb, an exit trigger's kind
ENTITY = 32  # the kind of thing a change is about
PERSON_NAME = 120  # a person's name as Slack gives it
