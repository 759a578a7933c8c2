"""What a guild's calendar file may refer to: its series codes and circuits.

The parsers never look anything up themselves (they are pure), so the caller
hands them a ``KnownCalendar`` built from what the guild can see. A circuit may
be named by key, name or alias, in any case and with or without accents.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from fanbot.domain.catalog import CircuitRecord, Problem
from fanbot.domain.folding import fold_words
from fanbot.domain.model import Circuit, Series
from fanbot.i18n import N_


@dataclass(frozen=True)
class CircuitInfo:
    """A circuit a file may name. Only key, name and timezone are needed to parse.

    The optional details are copied into the ``CircuitRecord``s of the parsed
    catalog, so a store that upserts those records does not blank them.
    """

    key: str
    name: str
    timezone: str
    aliases: tuple[str, ...] = ()
    location: str | None = None
    country: str | None = None
    length_km: float | None = None
    turns: int | None = None
    source: str | None = None
    notes: str | None = None

    @classmethod
    def from_circuit(cls, circuit: Circuit) -> CircuitInfo:
        """The parser's view of a circuit read from the store."""
        return cls(
            key=circuit.key,
            name=circuit.name,
            timezone=circuit.timezone,
            aliases=circuit.aliases,
            location=circuit.location,
            country=circuit.country,
            length_km=circuit.length_km,
            turns=circuit.turns,
            source=circuit.source,
            notes=circuit.notes,
        )

    def record(self) -> CircuitRecord:
        """This circuit as a catalog record (``parse_catalog`` needs every circuit it meets)."""
        return CircuitRecord(
            key=self.key,
            name=self.name,
            timezone=self.timezone,
            location=self.location,
            country=self.country,
            length_km=self.length_km,
            turns=self.turns,
            aliases=self.aliases,
            source=self.source,
            notes=self.notes,
        )


@dataclass(frozen=True)
class KnownCalendar:
    """The series codes and circuits (by key) that a guild's file may use.

    ``series_names`` is optional: it only gives the ``SeriesRecord``s of a parsed
    catalog their real names (otherwise the code stands in for the name).
    """

    series: AbstractSet[str]
    circuits: Mapping[str, CircuitInfo]
    series_names: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_model(cls, series: Iterable[Series], circuits: Iterable[Circuit]) -> KnownCalendar:
        """Build from what the store returns for a guild (``Store.series``, ``Store.circuits``)."""
        series_list = list(series)
        return cls(
            series={s.code for s in series_list},
            circuits={c.key: CircuitInfo.from_circuit(c) for c in circuits},
            series_names={s.code: s.name for s in series_list},
        )


def _closest(wanted: str, labels: Mapping[str, str]) -> str | None:
    """The label whose folded form is closest to ``wanted``, if any is close enough."""
    match = difflib.get_close_matches(fold_words(wanted), list(labels), n=1, cutoff=0.6)
    return labels[match[0]] if match else None


# Added after a name that is not known: " (did you mean Europe/Paris?)".
DID_YOU_MEAN = N_(" (did you mean {name}?)")


class Names:
    """Resolves what a file wrote to a series code or a circuit, with suggestions."""

    def __init__(self, known: KnownCalendar) -> None:
        self.known = known
        self._series = {fold_words(code): code for code in known.series}
        # Folded name -> circuit keys; a name two circuits share is reported, not guessed.
        self._circuits: dict[str, set[str]] = {}
        # Folded name -> the name as written, for "did you mean".
        self._circuit_labels: dict[str, str] = {}
        for info in known.circuits.values():
            # Names before the key, so suggestions read as people write them.
            for name in (info.name, *info.aliases, info.key):
                folded = fold_words(name)
                if folded:
                    self._circuits.setdefault(folded, set()).add(info.key)
                    self._circuit_labels.setdefault(folded, name)

    def series(self, text: str) -> tuple[str | None, str | None]:
        """(code, None) or (None, problem)."""
        code = self._series.get(fold_words(text))
        if code is not None:
            return code, None
        known = ", ".join(sorted(self.known.series)) or Problem(N_("none yet"))
        hint = _closest(text, self._series)
        did_you_mean = Problem(DID_YOU_MEAN, name=hint) if hint else ""
        return None, Problem(
            N_("{value} is not a series this server knows{did_you_mean}; known series: {known}"),
            value=repr(text),
            did_you_mean=did_you_mean,
            known=known,
        )

    def circuit(self, text: str) -> tuple[CircuitInfo | None, str | None]:
        """(circuit, None) or (None, problem) for a key, name or alias."""
        keys = self._circuits.get(fold_words(text), set())
        if len(keys) == 1:
            return self.known.circuits[next(iter(keys))], None
        if len(keys) > 1:
            listed = ", ".join(sorted(keys))
            return None, Problem(
                N_("{value} names more than one circuit ({listed}); write the circuit's key instead"),
                value=repr(text),
                listed=listed,
            )
        hint = _closest(text, self._circuit_labels)
        did_you_mean = Problem(DID_YOU_MEAN, name=repr(hint)) if hint else ""
        return None, Problem(
            N_(
                "no circuit called {value}{did_you_mean}. Write a circuit's key, name or alias; a "
                "circuit the server does not know yet can be added with its IANA time zone "
                "(for example Europe/Paris), then the file imported again"
            ),
            value=repr(text),
            did_you_mean=did_you_mean,
        )

    def circuit_in_location(self, text: str) -> tuple[CircuitInfo | None, str | None]:
        """The circuit a calendar LOCATION names, e.g. 'Circuit de la Sarthe, 72000 Le Mans, France'.

        Foreign calendars write addresses, not our names: try the whole text,
        then each comma-separated part, then the longest known name inside it.
        """
        found, problem = self.circuit(text)
        if found is not None or (problem and "more than one" in problem):
            return found, problem
        for part in text.split(","):
            if fold_words(part) in self._circuits:
                return self.circuit(part)
        padded = f" {fold_words(text)} "
        inside = [name for name in self._circuits if len(name) >= 4 and f" {name} " in padded]
        if inside:
            return self.circuit(self._circuit_labels[max(inside, key=len)])
        return None, problem
