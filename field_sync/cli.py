"""``field-sync``: the field client's command line (capture, push and pull come with sync)."""

from __future__ import annotations

import click

from field_sync import __version__

__all__ = ["main"]


@click.group(invoke_without_command=True)
@click.version_option(__version__, prog_name="field-sync")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Lưu Động field client."""
    if ctx.invoked_subcommand is None:
        click.echo(f"field-sync {__version__}")
