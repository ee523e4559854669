"""deskterm: a terminal helpdesk console for support cases under an SLA."""

__version__ = "0.1.0"
