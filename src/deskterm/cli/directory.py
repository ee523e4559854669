"""`deskterm org add`, `deskterm contact add`: who the desk supports."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from deskterm.cli.case_render import safe_line
from deskterm.cli.context import desk
from deskterm.cli.output import console, fail, print_json
from deskterm.desk import directory
from deskterm.desk.limits import quoted
from deskterm.models import Contact, Organization

org_app = typer.Typer(help="Organizations under a support contract.", no_args_is_help=True)
contact_app = typer.Typer(help="Contacts of organizations.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object.")]


def _org_json(org: Organization) -> dict[str, Any]:
    return {
        "name": org.name,
        "policy": org.policy,
        "tier": org.tier,
        "contract_until": org.contract_until.isoformat() if org.contract_until else None,
    }


def _contact_json(contact: Contact, organization: str) -> dict[str, Any]:
    return {
        "name": contact.name,
        "organization": organization,
        "email": contact.email,
        "phone": contact.phone,
        "administrator": contact.is_admin,
    }


@org_app.command("add")
def add_org(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The organization's name.")],
    policy: Annotated[
        str, typer.Option("--policy", help="The SLA policy (see deskterm policy list).")
    ],
    tier: Annotated[
        str | None, typer.Option("--tier", help="The support tier as the contract names it.")
    ] = None,
    contract_until: Annotated[
        str | None,
        typer.Option(
            "--contract-until", help="Last day of the maintenance contract, e.g. 2027-06-30."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Add an organization under a support contract."""
    until = None
    if contract_until is not None:
        try:
            until = date.fromisoformat(contract_until.strip())
        except ValueError:
            fail(f"--contract-until: {quoted(contract_until)} is not a date (e.g. 2027-06-30)")
    the_desk = desk(ctx)
    org = directory.add_organization(the_desk, name, policy, tier=tier, contract_until=until)
    if as_json:
        print_json(_org_json(org))
        return
    details = [f"policy {org.policy}"]
    if org.tier:
        details.append(f"tier {org.tier}")
    details.append(
        f"contract until {org.contract_until}" if org.contract_until else "no contract end"
    )
    console().print(Text(safe_line(f"added organization {org.name} ({', '.join(details)})")))


@org_app.command("list")
def list_orgs(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list.")] = False,
) -> None:
    """Every organization, by name."""
    orgs = directory.organizations(desk(ctx))
    if as_json:
        print_json([_org_json(org) for org in orgs])
        return
    if not orgs:
        console().print("no organizations (add one with deskterm org add)")
        return
    table = Table("organization", "policy", "tier", "contract until", box=None, pad_edge=False)
    for org in orgs:
        table.add_row(
            Text(safe_line(org.name)),
            Text(safe_line(org.policy)),
            Text(safe_line(org.tier or "-")),
            Text(org.contract_until.isoformat() if org.contract_until else "-"),
        )
    console().print(table)


@contact_app.command("add")
def add_contact(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The contact's name.")],
    org: Annotated[str, typer.Option("--org", help="The organization the contact belongs to.")],
    email: Annotated[str | None, typer.Option("--email", help="Email address.")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="Phone number.")] = None,
    admin: Annotated[
        bool, typer.Option("--admin", help="An administrator of the product (Sev 1 checklist).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Add a contact to an organization."""
    contact = directory.add_contact(desk(ctx), name, org, email=email, phone=phone, is_admin=admin)
    if as_json:
        print_json(_contact_json(contact, org))
        return
    role = " (administrator)" if contact.is_admin else ""
    console().print(Text(safe_line(f"added contact {contact.name}{role} at {org}")))


@contact_app.command("list")
def list_contacts(
    ctx: typer.Context,
    org: Annotated[
        str | None, typer.Option("--org", help="Only the contacts of this organization.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list.")] = False,
) -> None:
    """Every contact, by organization and name: e-mail, phone, administrator or not."""
    found = directory.contacts(desk(ctx), org)
    if as_json:
        print_json([_contact_json(contact, org_name) for contact, org_name in found])
        return
    if not found:
        where = f" at {org}" if org else ""
        console().print(Text(safe_line(f"no contacts{where} (add one with deskterm contact add)")))
        return
    table = Table("contact", "organization", "email", "phone", "admin", box=None, pad_edge=False)
    for contact, org_name in found:
        table.add_row(
            Text(safe_line(contact.name)),
            Text(safe_line(org_name)),
            Text(safe_line(contact.email or "-")),
            Text(safe_line(contact.phone or "-")),
            Text("yes" if contact.is_admin else "no"),
        )
    console().print(table)
