"""One console for everything the tooling prints.

Messages are text, never markup (a path or a value may hold `[...]`), and an error is never
wrapped: one line, whatever the terminal's width, so it can be copied and grepped.
"""
from rich.console import Console
from rich.markup import escape

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def info(message: str) -> None:
    console.print(f"[cyan]•[/] {escape(message)}")


def success(message: str, stderr: bool = False) -> None:
    """Say what went well; on stderr when stdout carries the task's output (e.g. a dump)."""
    (err_console if stderr else console).print(f"[green]✔[/] {escape(message)}")


def warning(message: str) -> None:
    err_console.print(f"[yellow]![/] {escape(message)}")


def failure(message: str, hint: str | None = None) -> None:
    err_console.print(f"[red]✘ {escape(message)}[/]", soft_wrap=True)
    if hint:
        err_console.print(f"  [dim]→ {escape(hint)}[/]", soft_wrap=True)
