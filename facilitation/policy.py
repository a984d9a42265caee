"""The disclosure policy: the minimum group size and every rule on what a surface may show."""

from __future__ import annotations

from dataclasses import dataclass, replace

from facilitation.disclosure import Disclosure, Withheld, disclose
from facilitation.polls import AnswerGroup, Poll, PollKind, Tally
from facilitation.summaries import EngagementSummary, PollSummary, Sentiment

DEFAULT_MIN_GROUP = 3  # RESONANZ_MIN_BALLOTS when it is not set (bot/settings.py)


@dataclass(frozen=True)
class Policy:
    """What the cards, pages, summaries and exports may show of the meeting's figures.

    Built once from the settings (`Settings.policy`), carried on the services
    (`services.policy`) and handed to every surface that shows a figure; no surface keeps a
    number of its own. The rules, each a method below:

    - `min_group`: no figure about fewer than this many people is shown.
    - The live poll card (`live_card`): results of an "after closing" poll stay hidden until
      it closes or a moderator reveals them; named polls show their exact tally; below
      `min_group` ballots only the count; while the poll is open a breakdown changes only after
      `min_group` people cast or changed a ballot since it was shown, however long voting has
      been quiet (facilitation/disclosure.py).
    - Open-text answers are listed on the poll card only once the poll has closed
      (`lists_answers`).
    - Summaries, the report page and the export (`poll_result`): an "after closing" poll shows
      only its turnout until it closes or is revealed, and so does an open-text poll until it
      closes (as on its card); below `min_group` ballots only the turnout, named or not;
      otherwise its results.
    - Summaries and the report page show a poll they may show as its card did: every option
      with its count, nothing folded into "other"; the mood (positive, neutral, negative with
      counts) only for at least `min_group` texts
      (`shows_mood`), themes only for words used at least `min_group` times; the texts of a
      text poll that is still open shape neither (`analyses_texts`).
    - The export lists an open-text answer group only when at least `min_group` people gave
      it (`listed_answers`); smaller groups are only counted.
    - Shown as counted, everywhere: figures about the whole meeting (people reached and
      present, questions asked, answered, dismissed, merged), each question's upvotes (the
      board's order is made of them; docs/PRIVACY.md, "Live cards and timing"), breakout
      rounds and groups, and a named poll's names on its card.
    """

    min_group: int = DEFAULT_MIN_GROUP

    def __post_init__(self) -> None:
        if self.min_group < 1:
            raise ValueError(f"the minimum group size must be at least 1, not {self.min_group}")

    def live_card(self, poll: Poll, current: Tally, *, shown: Tally | None,
                  changes_since_shown: int) -> Disclosure:
        """What the shared card (and a voter's own copy of it) shows now; the rule is
        `facilitation.disclosure.disclose`, with this policy's minimum."""
        return disclose(poll, current, shown=shown, changes_since_shown=changes_since_shown,
                        min_ballots=self.min_group)

    def may_close(self, poll: Poll, *, people_since_shown: int) -> bool:
        """Whether a moderator may close the poll now. A reopened anonymous poll showed its
        exact result when it closed; closing it again after fewer than `min_group` people voted
        since would show exactly their votes (close, reopen, one vote, close: that one vote).
        So it closes again once nobody or at least `min_group` people voted since."""
        if not (poll.reopened and poll.anonymous):
            return True
        return people_since_shown == 0 or people_since_shown >= self.min_group

    def lists_answers(self, poll: Poll) -> bool:
        """Whether a poll card lists a text poll's answers: only once it has closed, since
        answers appearing one by one would tell who wrote which."""
        return poll.kind is PollKind.TEXT and not poll.is_open

    def poll_result(self, poll: Poll, tally: Tally, *, final: bool = False) -> Withheld | None:
        """Why a summary, report or export shows only a poll's turnout (None: its results).

        - Results of an "after closing" poll stay hidden while it is open, unless a moderator
          revealed them: whoever asks for a summary in between sees only the turnout.
        - An open-text poll's answers are listed only once it has closed, as on its card
          (`lists_answers`): an export taken while answers trickle in would otherwise tell,
          one export after the other, who wrote which.
        - An anonymous poll that is still open shows only its turnout: its card moves in steps
          of `min_group` people, and summaries taken between two steps would not. Unless the
          summary is `final` (the one kept when the meeting ends), which shows it as closing it
          would: once, like a final result.
        - Below `min_group` ballots only the turnout is shown, named poll or not, even after
          closing.
        - Otherwise the results are shown, every option with its count, as on the closed card.
        """
        if not poll.results_visible or (poll.kind is PollKind.TEXT
                                        and not self.lists_answers(poll)):
            return Withheld.UNTIL_CLOSED
        if poll.is_open and poll.anonymous and not final:
            # The live card moves in steps of `min_group` people; a summary asked for between
            # two steps would show the exact tally, and two of them one person's vote.
            return Withheld.UNTIL_CLOSED
        if tally.ballots < self.min_group:
            return Withheld.TOO_FEW
        return None

    def listed_answers(self, tally: Tally) -> tuple[AnswerGroup, ...]:
        """The open-text answer groups an export lists word for word: those given by at least
        `min_group` people. A smaller group is withheld like any small group, since an answer
        in one person's own words can name them; the export only counts its answers."""
        return tuple(group for group in tally.answers if group.count >= self.min_group)

    def analyses_texts(self, poll: Poll) -> bool:
        """Whether a text poll's answers count towards the meeting's themes and mood: only once
        its answers are listed (`lists_answers`, after closing). Otherwise summaries taken one
        after the other would show each new answer's words and mood as it arrives."""
        return self.lists_answers(poll)

    def shows_mood(self, texts: int) -> bool:
        """Whether the mood of `texts` texts may be shown at all."""
        return texts >= self.min_group

    @property
    def min_mentions(self) -> int:
        """How often a word must be used to be shown as a theme."""
        return self.min_group

    def recheck(self, summary: EngagementSummary) -> EngagementSummary:
        """A summary gathered earlier (and kept when its raw data went), shown under this
        policy. Its figures were gathered under `summary.min_group`; under a larger minimum:

        - a poll with fewer ballots shows only its turnout (a poll kept with an "other" bucket
          by an earlier version shows only its turnout and average);
        - themes used fewer times than the new minimum go, and the mood goes when it was read
          from fewer texts.
        Under the same or a smaller minimum the summary is shown as it was kept."""
        kept_with = summary.min_group or DEFAULT_MIN_GROUP
        if self.min_group <= kept_with:
            return summary
        return replace(
            summary, polls=tuple(self._recheck_poll(poll) for poll in summary.polls),
            themes=tuple(c for c in summary.themes if (c.value or 0) >= self.min_mentions),
            sentiment=(summary.sentiment if self.shows_mood(summary.sentiment.total)
                       else Sentiment()),
            min_group=self.min_group)

    def _recheck_poll(self, poll: PollSummary) -> PollSummary:
        if poll.withheld is not None:
            return poll
        if poll.ballots < self.min_group:
            return replace(poll, results=(), average=None, more=0, withheld=Withheld.TOO_FEW)
        if any(c.folded for c in poll.results):  # folded under a smaller minimum long ago
            return replace(poll, results=())
        return poll
