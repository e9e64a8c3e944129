"""Communes (the administrative units the service is deployed for) and their field teams."""

from __future__ import annotations

from piccolo.columns import (
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

__all__ = ["Commune", "Team"]


class Commune(Table, tablename="commune"):
    """A commune-level unit (xã, phường, đặc khu) using the service."""

    code = Varchar(length=5, primary_key=True)
    name = Varchar(length=200)
    province_code = Varchar(length=2)
    province_name = Varchar(length=200)
    agency_code = Varchar(length=40, null=True, default=None, unique=True)
    printed_name = Varchar(length=200, default="")
    """The name the forms print under "UBND"; empty: the registry's ``name``."""
    created_at = Timestamptz()


class Team(Table, tablename="team"):
    """A roaming guidance team or an electronic residential-group point."""

    id = Serial(primary_key=True)
    commune = ForeignKey(Commune, null=False, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=24)
    name = Varchar(length=200)
    cultural_house_address = Text(null=True, default=None)
    leader_name = Varchar(length=200, default="")
    phone = Varchar(length=20, default="")
    active = Boolean(default=True)
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()
