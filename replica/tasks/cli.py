"""How invoke reads our tasks' command lines: optional positionals, `--help` anywhere, typed numbers.

invoke's parser has no optional positional arguments (pyinvoke/invoke#159): a positional with a
default is never filled, one without is required, and a task with an unfilled positional eats
`--help` as its value. Its numbers are cast with a bare `int()`, so `--tail abc` is a traceback.
`StagingTask` declares what a task's arguments are; `StagingParseMachine` reads them so:
- `--help`/`-h` after a task name always shows that task's help (no flag gets `-h` as its short form);
- a positional whose parameter defaults to None may be left out (`staging.logs [SERVICE]`);
- a flag declared in `numbers` takes a whole number of at least its minimum;
- every parse error is one line (and a hint) and exit 2 (configuration), as the README promises.
"""
from __future__ import annotations

import invoke
from invoke import Task
from invoke.exceptions import Exit, ParseError
from invoke.parser import parser as invoke_parser
from invoke.parser.parser import state, transition

from ..core.errors import ConfigError

HELP_FLAGS = ("--help", "-h")


class StagingTask(Task):
    """A task whose positionals may be optional and whose `numbers` are parsed as whole numbers."""

    def __init__(self, *args, numbers: dict[str, int | None] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.numbers = dict(numbers or {})  # flag name -> smallest allowed value (None: any)

    def arg_opts(self, name, default, taken_names):
        # `-h` is help after any task name (StagingParseMachine): never a flag's short form
        return super().arg_opts(name, default, {*taken_names, HELP_FLAGS[1].lstrip("-")})

    def get_arguments(self, ignore_unknown_help=None):
        arguments = super().get_arguments(ignore_unknown_help)
        defaults = {name: p.default for name, p in self.argspec(self.body).parameters.items()}
        for argument in arguments:
            name = argument.attr_name or argument.name
            argument.may_be_omitted = argument.positional and defaults.get(name) is None
            if name in self.numbers:
                argument.kind = int
                argument.minimum = self.numbers[name]
        return arguments


class StagingParseMachine(invoke_parser.ParseMachine):
    """invoke's parse machine, reading StagingTask's declarations (see the module docstring)."""

    # fluidity's states are per class: the same states and transitions as invoke's machine
    initial_state = "context"
    state("context", enter=["complete_flag", "complete_context"])
    state("unknown", enter=["complete_flag", "complete_context"])
    state("end", enter=["complete_flag", "complete_context"])
    transition(from_=("context", "unknown"), event="finish", to="end")
    transition(from_="context", event="see_context", action="switch_to_context", to="context")
    transition(from_=("context", "unknown"), event="see_unknown", action="store_only", to="unknown")

    def handle(self, token: str) -> None:
        if token in HELP_FLAGS and self.context is not None and self.context.name \
                and self.current_state != "unknown":
            self.initial.flags["--help"].value = self.context.name
            return
        super().handle(token)

    def complete_context(self) -> None:
        if self.context is not None:
            helping = bool(self.initial.flags["--help"].value)  # help needs no arguments
            self.context.positional_args = [
                argument for argument in self.context.positional_args
                if argument.value is not None
                or not (helping or getattr(argument, "may_be_omitted", False))]
        super().complete_context()

    def see_value(self, value) -> None:
        flag = self.flag
        try:
            super().see_value(value)
        except ValueError:
            self.error(f"--{flag.name} takes a whole number, not {value!r}")
        minimum = getattr(flag, "minimum", None)
        if minimum is not None and flag.value < minimum:
            self.error(f"--{flag.name} must be at least {minimum}, not {flag.value}")

    def error(self, msg: str) -> None:
        raise CommandLineError(msg, self.context)


class CommandLineError(ParseError, Exit):
    """A parse error as invoke knows it (shell completion reads its context) that exits 2.

    invoke's Program prints a ParseError as str() and takes an Exit's code: one line, exit 2.
    """

    def __init__(self, msg: str, context=None):
        ParseError.__init__(self, msg, context)
        Exit.__init__(self, code=ConfigError.exit_code)
        task = context.name if context is not None and context.name else None
        self.hint = f"see `invoke --help {task}`" if task else "see `invoke --list`"

    def __str__(self) -> str:
        return f"✘ {self.args[0]}\n  → {self.hint}"


def install() -> None:
    """Make invoke's parser use StagingParseMachine (invoke offers no hook for a parse machine)."""
    invoke_parser.ParseMachine = StagingParseMachine


def staging_task(*args, **kwargs):
    """`@invoke.task`, making a StagingTask (takes `numbers={flag: minimum}` too)."""
    return invoke.task(*args, klass=StagingTask, **kwargs)


task = staging_task  # what the task modules import as `task`
