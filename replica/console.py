"""One console for everything the tooling prints."""
from rich.console import Console

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def info(message: str) -> None:
    console.print(f"[cyan]•[/] {message}")


def success(message: str, stderr: bool = False) -> None:
    """Say what went well; on stderr when stdout carries the task's output (e.g. a dump)."""
    (err_console if stderr else console).print(f"[green]✔[/] {message}")


def warning(message: str) -> None:
    err_console.print(f"[yellow]![/] {message}")


def failure(message: str, hint: str | None = None) -> None:
    err_console.print(f"[red]✘ {message}[/]")
    if hint:
        err_console.print(f"  [dim]→ {hint}[/]")
