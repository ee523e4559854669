"""The Severity 1 phone-call wizard (wizard), its steps (steps), its reads (reads) and
its dialogs (dialogs)."""

from deskterm.screens.sev1.dialogs import Confirm, ResumeCall
from deskterm.screens.sev1.steps import STEPS
from deskterm.screens.sev1.wizard import Sev1Wizard, call_time

__all__ = ["STEPS", "Confirm", "ResumeCall", "Sev1Wizard", "call_time"]
