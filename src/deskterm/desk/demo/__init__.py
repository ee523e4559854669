"""`deskterm demo`: fill the database with a believable on-call desk, deterministically.

Organizations on every shipped policy (one whose maintenance contract ran out),
their contacts, and cases spread over severities, statuses, assignees and ages, each
with a history (replies, calls, notes, status moves, severity changes,
escalations, customer replies) that the workflow allows. The same seed and the
same "now" give the same rows.

One module a job:
- texts: the catalogue (organizations, people, products, the texts of a history);
- history: the SLA shape of a case (a skeleton), shared between cases;
- rows: one case from a skeleton, its events and its row;
- replay: the stored clocks and first-response outcome, from the SLA engine itself;
- columns: the rows' columns and an event while it is built;
- fill: the use case, in one write transaction with deskterm.store.bulk_insert.
"""

from deskterm.desk.demo.columns import CLOCK_COLUMNS, EVENT_COLUMNS
from deskterm.desk.demo.fill import DEFAULT_CASES, DEFAULT_SEED, DemoReport, fill
from deskterm.desk.demo.replay import replay_case, replay_clocks
from deskterm.desk.demo.texts import ORGANIZATIONS

__all__ = [
    "CLOCK_COLUMNS",
    "DEFAULT_CASES",
    "DEFAULT_SEED",
    "EVENT_COLUMNS",
    "ORGANIZATIONS",
    "DemoReport",
    "fill",
    "replay_case",
    "replay_clocks",
]
