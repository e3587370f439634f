"""When a passage was published, as a prior weighed with how well it matches the question.

On a multi-year archive the same kind of event comes back every year (finals, elections,
storms), and a passage about last year's final can match the question as well as this
year's. Which one is meant depends on the day the question is asked and on a period it may
name. That is a prior, not a rule: it moves a passage up the fused ranking by a bounded
amount, so a clearly better match still wins.

The formula, added to a passage's reciprocal-rank-fusion score (`rag/retrieve.py`) in units
of one rank-1 vote, `1 / (rrf_k + 1)`:

    bonus(date) = recency_weight * 0.5 ** (|reference - date| / half_life_days)
                + period_weight  * [date within the named period, or up to `period_grace_days` after it]

`reference` is the day asked (`as_of`) or, when the question names a period ("the 2022
finals", "in March 2024"), the last day that period's reports come out (its end plus the
grace, never after `as_of`). Nothing dated after `as_of` ever reaches this point
(retrieval filters it out), so recency rewards what was newest on the day asked, and a
named period rewards what was reported in or just after it. Undated passages get no bonus:
they cannot be placed in time, and stay eligible on their match alone.
The weights are tuned on the tuning half of the dated archive (eval/README.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from rag.timewords import Period

Bonus = Callable[[dt.date | None], float]


@dataclass(frozen=True)
class TimePrior:
    recency_weight: float = 0.0
    half_life_days: float = 30.0
    period_weight: float = 0.0
    period_grace_days: int = 31

    def bonus(self, as_of: dt.date, period: Period | None) -> Bonus:
        """The bonus of a passage by its date, for one question asked on `as_of` naming `period`
        (only a period of kind "named" moves the reference; ranges and windows already filter)."""
        named = period if period is not None and period.kind == "named" else None
        since = named.since if named else None
        reference = as_of
        if named is not None and named.until is not None:
            reference = min(as_of, named.until + dt.timedelta(days=self.period_grace_days))

        def bonus(date: dt.date | None) -> float:
            if date is None:
                return 0.0
            value = self.recency_weight * 0.5 ** (abs((reference - date).days) / self.half_life_days)
            if since is not None and since <= date <= reference:
                value += self.period_weight
            return value

        return bonus
