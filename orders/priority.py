"""The priority score of a sales order (DESIGN.md §2 stage 5): who gets scarce stock
first, and the order of the fulfilment queues and pick lists.

    score = tier points + urgency points + due-date points + the planner's adjustment

- tier: A 300, B 200, C 100;
- urgent: +200;
- due date: 5 points for each day less than 30 days before the requested date, so an
  order due today or late gets 150 and one due in 30 days or more (or undated) 0;
- a planner's adjustment, −1000…+1000, given with a reason.

The score is stored on the order (so queues sort in the database) and refreshed when the
order is entered, edited, approved or released, when a planner changes it, and every
6 hours by beat.
"""

from __future__ import annotations

import datetime

TIER_POINTS = {"A": 300, "B": 200, "C": 100}
URGENT_POINTS = 200
DUE_WINDOW_DAYS = 30
POINTS_PER_DAY = 5
MAX_BOOST = 1000


def priority_score(*, tier: str, urgent: bool, requested_date: datetime.date | None, boost: int,
                   today: datetime.date) -> int:
    score = TIER_POINTS.get(tier, 0) + (URGENT_POINTS if urgent else 0) + boost
    if requested_date is not None:
        days_left = max((requested_date - today).days, 0)
        score += max(DUE_WINDOW_DAYS - days_left, 0) * POINTS_PER_DAY
    return score
