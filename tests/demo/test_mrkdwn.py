"""Slack's mrkdwn as the demo shows it: rich styles in a terminal, Markdown in transcript.md, plain words."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from markdown_it import MarkdownIt

from bot.demo import mrkdwn
from bot.demo.transcript import Transcript

NAMES = mrkdwn.Names(users={"U0BOB": "bob", "UACCORD": "Accord"}, channels={"C0DEMOSHARED": "northwind-southwind"})


@pytest.mark.parametrize(("text", "markdown", "plain"), [
    ("*KPIs*", "**KPIs**", "KPIs"),
    ("_because it fell_", "*because it fell*", "because it fell"),
    ("~old~ new", "~~old~~ new", "old new"),
    ("run `/accord help` now", "run `/accord help` now", "run /accord help now"),
    ("`*not bold*`", "`*not bold*`", "*not bold*"),
    (":large_green_circle: *#1 Deliveries*: 97 %", "🟢 **#1 Deliveries**: 97 %", "🟢 #1 Deliveries: 97 %"),
    (":handshake: :warning: :no_such_emoji:", "🤝 ⚠️ :no_such_emoji:", "🤝 ⚠️ :no_such_emoji:"),
    ("<@U0BOB> in <#C0DEMOSHARED>", "@bob in #northwind-southwind", "@bob in #northwind-southwind"),
    ("<#C0OTHER|other-channel> <@U0NOBODY>", "#other-channel @U0NOBODY", "#other-channel @U0NOBODY"),
    ("*signed by <@U0BOB>*", "**signed by @bob**", "signed by @bob"),
    ("*a _b_ c*", "**a *b* c**", "a b c"),
    ("see <https://example.com/a_b|the docs>", "see [the docs](https://example.com/a_b)", "see the docs"),
    ("<!here> &lt;b&gt; &amp; co", "@here \\<b> & co", "@here <b> & co"),
    ("snake_case and 2*3*4", "snake_case and 2\\*3\\*4", "snake_case and 2*3*4"),
    ("#1 first", "#1 first", "#1 first"),
    ("# not a heading", "\\# not a heading", "# not a heading"),
    ("- not a list", "\\- not a list", "- not a list"),
    ("1. one", "1\\. one", "1. one"),
    ("&gt; quoted *b*", "> quoted **b**", "│ quoted b"),
])
def test_mrkdwn_as_markdown_and_plain(text: str, markdown: str, plain: str) -> None:
    assert mrkdwn.to_markdown(text, NAMES) == markdown
    assert mrkdwn.plain(text, NAMES) == plain
    assert mrkdwn.to_rich(text, NAMES).plain == plain


def test_markdown_renders_the_marks_as_styles() -> None:
    html = MarkdownIt("commonmark").enable("strikethrough").render(
        mrkdwn.to_markdown("*bold* _it_ ~gone~ *a _b_* <@U0BOB> :large_green_circle:", NAMES))
    assert html == ("<p><strong>bold</strong> <em>it</em> <s>gone</s> <strong>a <em>b</em></strong> @bob 🟢</p>\n")


def test_rich_styles() -> None:
    text = mrkdwn.to_rich("*bold* _it_ ~gone~ `code` <https://example.com|docs>", NAMES)
    styles = {text.plain[span.start:span.end]: str(span.style) for span in text.spans}
    assert styles == {"bold": "bold", "it": "italic", "gone": "strike", "code": "cyan",
                      "docs": "underline link https://example.com"}


def test_emphasis_only_at_word_boundaries() -> None:
    assert mrkdwn.plain("file_name_here and a*b*c", NAMES) == "file_name_here and a*b*c"
    assert mrkdwn.spans("file_name_here", NAMES) == [mrkdwn.Span("file_name_here")]
    assert mrkdwn.plain("* not bold *", NAMES) == "* not bold *"


def test_emoji_slack_names() -> None:
    assert mrkdwn.emojize(":large_orange_circle: :large_yellow_circle: :red_circle: :white_check_mark:") == \
        "🟠 🟡 🔴 ✅"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_terminal_gets_styles_and_a_pipe_gets_plain_words() -> None:
    message = {"blocks": [{"type": "section", "text": {"type": "mrkdwn",
                                                        "text": ":large_green_circle: *KPIs* for <#C0DEMOSHARED>"}}]}
    now = datetime(2027, 1, 4, 10, 30, tzinfo=UTC)
    for out, styled in ((_Terminal(), True), (io.StringIO(), False)):
        transcript = Transcript(out=out, channels={"C0DEMOSHARED": "northwind-southwind"})
        transcript.private(now, "bob@southwind", message)
        printed = out.getvalue()
        assert ("\x1b[1m" in printed) is styled  # bold, as ANSI, only at a terminal
        assert "🟢" in printed and "KPIs" in printed and "#northwind-southwind" in printed
        assert "*KPIs*" not in printed and ":large_green_circle:" not in printed and "<#C" not in printed
    markdown = transcript.markdown("Title")
    assert "**10:30 Accord (only bob@southwind sees)**: 🟢 **KPIs** for #northwind-southwind" in markdown
    assert "### Mon 04 Jan 2027" in markdown
