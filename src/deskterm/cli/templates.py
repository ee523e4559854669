"""`deskterm template list|show`: the canned replies this desk can use."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from deskterm import settings
from deskterm.cli.output import console, print_json
from deskterm.desk import templates
from deskterm.safe_text import safe_line, safe_text

app = typer.Typer(help="Canned replies (templates) for answering customers.", no_args_is_help=True)


def catalog() -> dict[str, templates.Template]:
    return templates.find_templates(settings.template_dirs(), settings.named_template_dirs())


def template_json(template: templates.Template) -> dict[str, Any]:
    return {
        "name": template.name,
        "title": template.title,
        "move": template.move.value if template.move else None,
        "placeholders": template.placeholders,
        "path": str(template.path),
        "problem": template.problem,
        "text": template.body,
    }


@app.command("list")
def list_templates(
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list.")] = False,
) -> None:
    """Every template by name: its title and the status move that goes with it."""
    found = catalog()
    if as_json:
        print_json([template_json(template) for template in found.values()])
        return
    if not found:
        searched = ", ".join(str(path) for path in settings.template_dirs())
        console().print(Text(safe_line(f"no templates (searched {searched})")))
        return
    table = Table("template", "title", "move", box=None, pad_edge=False)
    for template in found.values():
        table.add_row(
            Text(safe_line(template.name)),
            Text(safe_line(f"PROBLEM: {template.problem}" if template.problem else template.title)),
            Text(template.move.value if template.move else "-"),
        )
    console().print(table)


@app.command("show")
def show_template(
    name: Annotated[str, typer.Argument(help="The template's name (see deskterm template list).")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """A template's text, placeholders unfilled, and where it comes from."""
    template = templates.get_template(catalog(), name)
    if as_json:
        print_json(template_json(template))
        return
    out = console()
    out.print(Text(safe_line(f"{template.name}: {template.title}"), style="bold"))
    out.print(Text(safe_line(f"from {template.path}")))
    out.print(Text(f"move: {template.move.value}" if template.move else "move: none"))
    out.print(Text(""))
    out.print(Text(safe_text(template.body.rstrip("\n"))))
