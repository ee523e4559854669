"""Mail without a database: the relay's config, reading a message, sending one.

The desk's use cases (deskterm.desk.outbox, deskterm.desk.inbound) decide what
is sent and where incoming mail lands; this package only speaks the formats.
"""
