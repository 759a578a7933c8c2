"""The commands fans type, as data: one list that the console parser, /help and
the README share, and that the Discord cogs mirror.

A console line reads like Discord's box: ``/lineup event:petit lemans 2012 class:P1``.
An option's value runs up to the next ``name:`` of an option of that command,
so values may hold spaces and colons (``race:2027-03-20 12:00``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fanbot.i18n import N_, Translate, translator


@dataclass(frozen=True)
class OptionSpec:
    name: str
    description: str
    required: bool = False


@dataclass(frozen=True)
class CommandSpec:
    name: str
    description: str
    example: str
    options: tuple[OptionSpec, ...] = ()

    def usage(self) -> str:
        parts = [f"/{self.name}"]
        for o in self.options:
            parts.append(f"{o.name}:<…>" if o.required else f"[{o.name}:<…>]")
        return " ".join(parts)


COMMANDS: dict[str, CommandSpec] = {
    c.name: c
    for c in (
        CommandSpec(
            "nextrace",
            N_("The next race and its sessions, in your time zone."),
            "/nextrace series:WEC",
            (OptionSpec("series", N_("Only this series (WEC, IMSA, ...)")),),
        ),
        CommandSpec(
            "schedule",
            N_("A season's calendar."),
            "/schedule series:IMSA season:2026",
            (
                OptionSpec("series", N_("Only this series (WEC, IMSA, ...)")),
                OptionSpec("season", N_("The season (year)")),
            ),
        ),
        CommandSpec(
            "race",
            N_("One event in full: sessions, circuit, length, results."),
            "/race event:Le Mans 2025",
            (OptionSpec("event", N_("The event's name"), required=True),),
        ),
        CommandSpec(
            "lineup",
            N_("An event's entry list, by class."),
            "/lineup event:petit lemans 2012 class:P1",
            (
                OptionSpec("event", N_("The event's name"), required=True),
                OptionSpec("class", N_("Only this class")),
                OptionSpec("team", N_("Only this team")),
            ),
        ),
        CommandSpec(
            "circuit",
            N_("A circuit: where it is, its local time, its races."),
            "/circuit circuit:Road Atlanta",
            (OptionSpec("circuit", N_("The circuit's name"), required=True),),
        ),
        CommandSpec(
            "driver",
            N_("A driver's entries."),
            "/driver driver:Romain Dumas",
            (OptionSpec("driver", N_("The driver's name"), required=True),),
        ),
        CommandSpec("help", N_("What fanbot can do."), "/help"),
    )
}


@dataclass(frozen=True)
class HelpEntry:
    """One command as /help lists it (and ``fanbot ask --json "/help"`` prints it)."""

    name: str
    usage: str
    description: str
    example: str
    options: tuple[OptionSpec, ...]


@dataclass(frozen=True)
class Help:
    commands: tuple[HelpEntry, ...]


def help_answer() -> Help:
    """Every command with its usage, description (English msgid) and an example."""
    return Help(
        tuple(HelpEntry(c.name, c.usage(), c.description, c.example, c.options) for c in COMMANDS.values())
    )


class CommandLineError(ValueError):
    """A console command that cannot be read. ``message`` is an English msgid with
    ``fields``; with ``spec``, the command's usage follows. ``render(tr)`` writes it
    in the reader's language, ``str()`` in English."""

    def __init__(self, message: str, spec: CommandSpec | None = None, **fields: object) -> None:
        self.message = message
        self.spec = spec
        self.fields = fields
        super().__init__(self.render(translator("en")))

    def render(self, tr: Translate) -> str:
        problem = tr(self.message, **self.fields)
        return _options_help(self.spec, problem, tr) if self.spec else problem


@dataclass(frozen=True)
class ParsedCommand:
    spec: CommandSpec
    options: dict[str, str]


_OPTION_LIKE = re.compile(r"(?:(?<=\s)|^)([a-z][a-z_]*):(?!//)")


def parse_command_line(line: str) -> ParsedCommand:
    """``/name opt:value opt2:value`` -> ParsedCommand, or a CommandLineError."""
    text = line.strip()
    if not text.startswith("/"):
        text = "/" + text
    head, _, rest = text[1:].partition(" ")
    name = head.strip().lower()
    spec = COMMANDS.get(name)
    if spec is None:
        known = ", ".join(f"/{n}" for n in COMMANDS)
        raise CommandLineError(
            N_("Unknown command /{name}. Commands: {known}."), name=name or "?", known=known
        )
    allowed = {o.name for o in spec.options}
    rest = rest.strip()
    markers = [m for m in _OPTION_LIKE.finditer(rest) if m.group(1) in allowed or m.start() == 0]
    if rest and (not markers or markers[0].start() != 0):
        raise CommandLineError(N_("Cannot read “{text}”."), spec, text=rest)
    options: dict[str, str] = {}
    for i, marker in enumerate(markers):
        option = marker.group(1)
        if option not in allowed:
            raise CommandLineError(N_("/{name} has no option “{option}”."), spec, name=name, option=option)
        end = markers[i + 1].start() if i + 1 < len(markers) else len(rest)
        value = rest[marker.end() : end].strip()
        if option in options:
            raise CommandLineError(N_("Option “{option}” is given twice."), spec, option=option)
        if not value:
            raise CommandLineError(N_("Option “{option}” has no value."), spec, option=option)
        options[option] = value
    for o in spec.options:
        if o.required and o.name not in options:
            raise CommandLineError(N_("/{name} needs “{option}”."), spec, name=name, option=o.name)
    # Words that look like options but belong to no command's option list are
    # most likely typos: say so rather than fold them into the previous value.
    for m in _OPTION_LIKE.finditer(rest):
        if m.group(1) not in allowed and m.start() != 0 and _looks_like_option(m.group(1)):
            raise CommandLineError(
                N_("/{name} has no option “{option}”."), spec, name=name, option=m.group(1)
            )
    return ParsedCommand(spec, options)


def _looks_like_option(word: str) -> bool:
    every_option = {o.name for c in COMMANDS.values() for o in c.options}
    return word in every_option or word in {"events", "drivers", "circuits", "seasons", "classe"}


def _options_help(spec: CommandSpec, problem: str, tr: Translate) -> str:
    lines = [problem, tr("Usage: {usage}", usage=spec.usage())]
    for o in spec.options:
        need = tr("required") if o.required else tr("optional")
        label = f"{o.name} ({need})"
        lines.append("  " + tr("{label}: {value}", label=label, value=tr(o.description)))
    if not spec.options:
        lines.append("  " + tr("(no options)"))
    lines.append(tr("Example: {example}", example=spec.example))
    return "\n".join(lines)
