"""The commands fans type, as data: one list that the console parser, /help and
the README share, and that the Discord cogs mirror.

A console line reads like Discord's box: ``/lineup event:petit lemans 2012 class:P1``.
An option's value runs up to the next ``name:`` of an option of that command,
so values may hold spaces and colons (``race:2027-03-20 12:00``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fanbot.i18n import N_


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


class CommandLineError(ValueError):
    """A console command that cannot be read; the message lists what is allowed."""


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
        raise CommandLineError(f"Unknown command /{name or '?'}. Commands: {known}.")
    allowed = {o.name for o in spec.options}
    rest = rest.strip()
    markers = [m for m in _OPTION_LIKE.finditer(rest) if m.group(1) in allowed or m.start() == 0]
    if rest and (not markers or markers[0].start() != 0):
        raise CommandLineError(_options_help(spec, f"Cannot read “{rest}”."))
    options: dict[str, str] = {}
    for i, marker in enumerate(markers):
        option = marker.group(1)
        if option not in allowed:
            raise CommandLineError(_options_help(spec, f"/{name} has no option “{option}”."))
        end = markers[i + 1].start() if i + 1 < len(markers) else len(rest)
        value = rest[marker.end() : end].strip()
        if option in options:
            raise CommandLineError(_options_help(spec, f"Option “{option}” is given twice."))
        if not value:
            raise CommandLineError(_options_help(spec, f"Option “{option}” has no value."))
        options[option] = value
    for o in spec.options:
        if o.required and o.name not in options:
            raise CommandLineError(_options_help(spec, f"/{name} needs “{o.name}”."))
    # Words that look like options but belong to no command's option list are
    # most likely typos: say so rather than fold them into the previous value.
    for m in _OPTION_LIKE.finditer(rest):
        if m.group(1) not in allowed and m.start() != 0 and _looks_like_option(m.group(1)):
            raise CommandLineError(_options_help(spec, f"/{name} has no option “{m.group(1)}”."))
    return ParsedCommand(spec, options)


def _looks_like_option(word: str) -> bool:
    every_option = {o.name for c in COMMANDS.values() for o in c.options}
    return word in every_option or word in {"events", "drivers", "circuits", "seasons", "classe"}


def _options_help(spec: CommandSpec, problem: str) -> str:
    lines = [problem, f"Usage: {spec.usage()}"]
    for o in spec.options:
        need = "required" if o.required else "optional"
        lines.append(f"  {o.name} ({need}): {o.description}")
    if not spec.options:
        lines.append("  (no options)")
    lines.append(f"Example: {spec.example}")
    return "\n".join(lines)
