"""Policy versions: the text of each SLA policy a desk has run under (issue 22).

The first time a desk uses a policy its file is stored here as version 1; an
edited file becomes the next version only when someone applies it (`deskterm
policy apply`). A case records the version it runs under (`cases.policy_version`),
so its deadlines, its explanation and the reports over it come from the stored
text, whatever the file says today.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from deskterm.models.types import ExactText, UTCDateTime


class PolicyVersion(SQLModel, table=True):
    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_policy_versions_name_version"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str  # the policy's name (cases.policy)
    version: int  # 1, 2, ... per name
    text: str = Field(sa_type=ExactText)  # the TOML, as it was applied
    # The files it reads (`holidays_file`): JSON, name -> base64 of the bytes; None: none.
    files: str | None = Field(default=None, sa_type=ExactText)
    sha256: str  # of the text and files: a file that differs from the version in use shows
    source: str = Field(sa_type=ExactText)  # the file it was read from
    created_by: str = Field(sa_type=ExactText)
    created_at: datetime = Field(sa_type=UTCDateTime)
