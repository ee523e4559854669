"""`deskterm demo`: fill the database with a believable desk."""

from __future__ import annotations
