"""Discord's documented limits, answered with Discord's own error shapes.

A fake that accepts anything hides the bugs that only show up in production (a 2,001-character
reply, a 26th autocomplete choice, an upper-case command name). These checks return the
``50035 Invalid Form Body`` / ``50006 Cannot send an empty message`` errors Discord returns, so
discord.py raises the same ``HTTPException`` it would raise against the real API.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

JSON = dict[str, Any]
PathPart = str | int

#: Locales Discord accepts in ``name_localizations`` / ``description_localizations``.
VALID_LOCALES = frozenset(
    {
        "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl", "no",
        "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th", "zh-CN",
        "ja", "zh-TW", "ko",
    }
)  # fmt: skip

COMMAND_NAME = re.compile(r"^[-_'\w\u0900-\u097F\u0E00-\u0E7F]{1,32}$")

IS_COMPONENTS_V2 = 1 << 15
EPHEMERAL = 1 << 6
LOADING = 1 << 7


class FormErrors:
    """Collects errors keyed by a JSON path, rendered the way Discord nests them."""

    def __init__(self) -> None:
        self._errors: JSON = {}

    def add(self, path: Iterable[PathPart], code: str, message: str) -> None:
        node = self._errors
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_length(self, path: Iterable[PathPart], value: str | None, limit: int) -> None:
        if value is not None and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def __bool__(self) -> bool:
        return bool(self._errors)

    def body(self) -> JSON:
        return {"message": "Invalid Form Body", "code": 50035, "errors": self._errors}


class DiscordError(Exception):
    """An API error to answer with: HTTP status plus Discord's JSON body."""

    def __init__(self, status: int, code: int, message: str, body: JSON | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.body: JSON = body if body is not None else {"message": message, "code": code}

    @classmethod
    def form(cls, errors: FormErrors) -> DiscordError:
        return cls(400, 50035, "Invalid Form Body", errors.body())


def _embed_length(embed: Mapping[str, Any]) -> int:
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for f in embed.get("fields") or []:
        total += len(f.get("name") or "") + len(f.get("value") or "")
    return total


def check_embeds(errors: FormErrors, embeds: list[JSON], path: tuple[PathPart, ...] = ("embeds",)) -> None:
    if len(embeds) > 10:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for i, embed in enumerate(embeds):
        p = (*path, i)
        errors.max_length((*p, "title"), embed.get("title"), 256)
        errors.max_length((*p, "description"), embed.get("description"), 4096)
        errors.max_length((*p, "footer", "text"), (embed.get("footer") or {}).get("text"), 2048)
        errors.max_length((*p, "author", "name"), (embed.get("author") or {}).get("name"), 256)
        fields = embed.get("fields") or []
        if len(fields) > 25:
            errors.add((*p, "fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for j, f in enumerate(fields):
            for key, limit in (("name", 256), ("value", 1024)):
                value = f.get(key)
                if value is None or value == "":
                    errors.add((*p, "fields", j, key), "BASE_TYPE_REQUIRED", "This field is required")
                else:
                    errors.max_length((*p, "fields", j, key), str(value), limit)
        total += _embed_length(embed)
    if total > 6000:
        errors.add(path, "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def _walk_components(
    components: list[JSON], path: tuple[PathPart, ...]
) -> Iterable[tuple[JSON, tuple[PathPart, ...]]]:
    for i, comp in enumerate(components):
        p = (*path, i)
        yield comp, p
        if comp.get("components"):
            yield from _walk_components(comp["components"], (*p, "components"))
        accessory = comp.get("accessory")
        if isinstance(accessory, dict):
            yield accessory, (*p, "accessory")


def check_components(errors: FormErrors, components: list[JSON], *, v2: bool) -> None:
    if not v2:
        if len(components) > 5:
            errors.add(("components",), "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
        for i, row in enumerate(components):
            if row.get("type") != 1:
                errors.add(("components", i), "UNION_TYPE_CHOICES", 'Value of field "type" must be 1.')
            elif len(row.get("components") or []) > 5:
                errors.add(
                    ("components", i, "components"), "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length."
                )
    seen: set[str] = set()
    for comp, p in _walk_components(components, ("components",)):
        custom_id = comp.get("custom_id")
        if custom_id is not None:
            errors.max_length((*p, "custom_id"), custom_id, 100)
            if custom_id in seen:
                errors.add(
                    (*p, "custom_id"),
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                    "Component custom id cannot be duplicated",
                )
            seen.add(custom_id)
        if comp.get("type") == 2:
            errors.max_length((*p, "label"), comp.get("label"), 80)
            if comp.get("style") == 5 and not comp.get("url"):
                errors.add((*p, "url"), "BASE_TYPE_REQUIRED", "This field is required")
        if comp.get("type") == 3 and len(comp.get("options") or []) > 25:
            errors.add((*p, "options"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")


def check_message(body: Mapping[str, Any], *, file_count: int, require_content: bool = True) -> None:
    """Validate a message create/edit body (after merging for edits). Raises DiscordError."""
    errors = FormErrors()
    content = body.get("content")
    flags = int(body.get("flags") or 0)
    v2 = bool(flags & IS_COMPONENTS_V2)
    if content is not None and not isinstance(content, str):
        errors.add(("content",), "BASE_TYPE_STRING", "Must be a string.")
    elif content is not None:
        errors.max_length(("content",), content, 2000)
    embeds = body.get("embeds") or []
    check_embeds(errors, embeds)
    components = body.get("components") or []
    check_components(errors, components, v2=v2)
    if v2 and (content or embeds):
        errors.add(
            ("content" if content else "embeds",),
            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
            "The 'content' and 'embeds' fields cannot be used when using components v2",
        )
    nonce = body.get("nonce")
    if isinstance(nonce, str) and len(nonce) > 25:
        errors.add(("nonce",), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    if errors:
        raise DiscordError.form(errors)
    has_anything = bool(
        (content or "").strip()
        or embeds
        or components
        or file_count
        or body.get("attachments")
        or body.get("sticker_ids")
        or body.get("poll")
    )
    if require_content and not has_anything:
        raise DiscordError(400, 50006, "Cannot send an empty message")


def check_choices(choices: Any) -> None:
    """An autocomplete result: at most 25 choices, names 1-100 characters, string values <= 100."""
    errors = FormErrors()
    if not isinstance(choices, list):
        errors.add(("data", "choices"), "BASE_TYPE_REQUIRED", "This field is required")
        raise DiscordError.form(errors)
    if len(choices) > 25:
        errors.add(("data", "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for i, choice in enumerate(choices):
        name = choice.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            errors.add(
                ("data", "choices", i, "name"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
            )
        value = choice.get("value")
        if isinstance(value, str) and len(value) > 100:
            errors.add(
                ("data", "choices", i, "value"), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."
            )
    if errors:
        raise DiscordError.form(errors)


def _check_name(errors: FormErrors, path: tuple[PathPart, ...], name: Any, *, chat_input: bool) -> None:
    if not isinstance(name, str) or not 1 <= len(name) <= 32:
        errors.add((*path,), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
        return
    if chat_input and (not COMMAND_NAME.match(name) or name != name.lower()):
        errors.add((*path,), "APPLICATION_COMMAND_INVALID_NAME", f"Command name is invalid: {name!r}")


def _check_localized(
    errors: FormErrors, path: tuple[PathPart, ...], item: Mapping[str, Any], *, chat_input: bool
) -> None:
    for key in ("name_localizations", "description_localizations"):
        table = item.get(key) or {}
        for locale, text in table.items():
            if locale not in VALID_LOCALES:
                errors.add(
                    (*path, key, locale), "ENUM_TYPE_COERCE", f'Value "{locale}" is not a valid enum value.'
                )
            elif key == "name_localizations":
                _check_name(errors, (*path, key, locale), text, chat_input=chat_input)
            elif not isinstance(text, str) or not 1 <= len(text) <= 100:
                errors.add(
                    (*path, key, locale), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
                )


def _check_options(errors: FormErrors, path: tuple[PathPart, ...], options: list[JSON], depth: int) -> None:
    if len(options) > 25:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    names: set[str] = set()
    seen_optional = False
    for i, opt in enumerate(options):
        p = (*path, i)
        _check_name(errors, (*p, "name"), opt.get("name"), chat_input=True)
        desc = opt.get("description")
        if not isinstance(desc, str) or not 1 <= len(desc) <= 100:
            errors.add((*p, "description"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        _check_localized(errors, p, opt, chat_input=True)
        if opt.get("name") in names:
            errors.add(
                (*p, "name"), "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Option names must be unique"
            )
        names.add(str(opt.get("name")))
        otype = opt.get("type")
        if otype in (1, 2):
            if depth >= 2 or (otype == 2 and depth >= 1):
                errors.add(
                    (*p, "type"), "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Sub-command nested too deeply"
                )
            _check_options(errors, (*p, "options"), opt.get("options") or [], depth + 1)
            continue
        if opt.get("required"):
            if seen_optional:
                errors.add((*p, "required"), "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                           "Required options must be placed before non-required options")  # fmt: skip
        else:
            seen_optional = True
        choices = opt.get("choices") or []
        if len(choices) > 25:
            errors.add((*p, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        if choices and opt.get("autocomplete"):
            errors.add((*p, "autocomplete"), "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_AND_CHOICES",
                       "Autocomplete cannot be set with choices")  # fmt: skip
        for j, choice in enumerate(choices):
            cname = choice.get("name")
            if not isinstance(cname, str) or not 1 <= len(cname) <= 100:
                errors.add(
                    (*p, "choices", j, "name"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
                )


def check_commands(commands: Any, *, guild: bool) -> None:
    """A bulk-overwrite body: names, descriptions, option order and counts, locales."""
    errors = FormErrors()
    if not isinstance(commands, list):
        errors.add((), "BASE_TYPE_ARRAY", "Must be an array.")
        raise DiscordError.form(errors)
    if not guild and sum(1 for c in commands if c.get("type", 1) == 1) > 100:
        errors.add((), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
    seen: set[tuple[str, int]] = set()
    for i, cmd in enumerate(commands):
        ctype = int(cmd.get("type", 1))
        chat_input = ctype == 1
        _check_name(errors, (i, "name"), cmd.get("name"), chat_input=chat_input)
        key = (str(cmd.get("name")), ctype)
        if key in seen:
            errors.add(
                (i, "name"),
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                f"Application command names must be unique: {key[0]}",
            )
        seen.add(key)
        desc = cmd.get("description", "")
        if chat_input and (not isinstance(desc, str) or not 1 <= len(desc) <= 100):
            errors.add((i, "description"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        _check_localized(errors, (i,), cmd, chat_input=chat_input)
        _check_options(errors, (i, "options"), cmd.get("options") or [], 0)
    if errors:
        raise DiscordError.form(errors)
