"""A checkbox that only space ticks.

`enter` means "next" in the intake screens; Textual's checkbox toggles on enter as
well, which recorded "administrator of the product: YES" on a Sev 1 entitlement
check nobody ticked (issue 20).
"""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Checkbox


class SpaceCheckbox(Checkbox, inherit_bindings=False):
    BINDINGS = [Binding("space", "toggle_button", "Toggle", show=False)]


# The administrator box says its state in words: without colour its mark looks the same.
ADMIN_NO = "administrator of the product: no (space: yes)"
ADMIN_YES = "administrator of the product: YES (space: no)"
