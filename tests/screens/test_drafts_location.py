"""The console keeps drafts and calls in progress where its settings say (Settings.drafts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskterm.call_state import SEV1_CALL
from deskterm.screens.case import CaseScreen
from tests.screens.conftest import PRODUCTION_DOWN, Seeded, make_app, settle


async def test_drafts_live_where_the_settings_say_not_where_the_environment_does(
    seeded: Seeded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKTERM_DRAFTS", str(tmp_path / "environment"))
    chosen = tmp_path / "settings"
    app = make_app(seeded.desk, drafts=chosen)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.intake_store(SEV1_CALL).path.is_relative_to(chosen)
        screen = CaseScreen(seeded.desk, PRODUCTION_DOWN)
        app.push_screen(screen)
        await settle(pilot)
        assert screen.drafts.directory.is_relative_to(chosen)
