"""Problems with an imported file, and the console's own error lines, in French."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fanbot.calendar_files import HEADER_LINE
from fanbot.calendar_files.catalog import parse_catalog
from fanbot.cli import main
from fanbot.domain.catalog import CatalogError
from fanbot.i18n import translator
from tests.support.bot_world import force_locale
from tests.support.moderation_world import make_mods

GUILD = 1_200_000_000_000_000_001
NBSP = "\u00a0"

# Fictional: a weekend at a circuit nobody knows, on a day that does not exist.
BAD_CSV = f"""{HEADER_LINE}
IMSA,2027,Zebra Cup 12 Hours (fictional),Nowhere Park,race,2027-02-30,10:10,720,,,,
"""



def test_a_catalog_problem_is_english_as_text_and_french_when_rendered():
    with pytest.raises(CatalogError) as err:
        parse_catalog({"format": "fanbot-catalog/1", "events": [{"name": "X", "season": 1800}]})
    problem = next(p for p in err.value.problems if ".season" in p)
    assert problem == 'events[0] "X".season: must be a number from 1900 to 2200'
    assert (
        problem.render(translator("fr")) == f'events[0] "X".season{NBSP}: doit être un nombre de 1900 à 2200'
    )
    assert problem.render(translator("en")) == problem


def test_fanbot_import_lists_a_bad_csvs_problems_in_french(db, tmp_path, capsys):
    path = tmp_path / "club.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    assert main(["import", str(path), "--guild", str(GUILD), "--locale", "fr"]) == 1
    err = capsys.readouterr().err
    assert "Rien n'a été importé de club.csv" in err, err
    assert f"ligne 2, circuit{NBSP}: aucun circuit ne s'appelle 'Nowhere Park'" in err, err
    assert f"ligne 2, date{NBSP}: '2027-02-30' n'est pas une date" in err, err
    assert "line 2" not in err
    assert "is not a date" not in err


def test_fanbot_import_lists_a_bad_catalogs_problems_in_french(db, tmp_path, capsys):
    path = tmp_path / "catalog.json"
    path.write_text('{"format": "fanbot-catalog/1", "events": [{"name": "X", "key": "Bad Key"}]}')
    assert main(["import", str(path), "--locale", "fr"]) == 1
    err = capsys.readouterr().err
    assert f"{path}{NBSP}: refusé, rien n'a été importé." in err, err
    assert f'events[0] "X".series{NBSP}: absent' in err, err
    assert "utilisez des minuscules, des chiffres et '-' ('Bad Key')" in err, err
    assert "missing" not in err


async def test_event_import_in_discord_lists_the_problems_in_french(world, monkeypatch):
    mods = await make_mods(world)
    force_locale(monkeypatch, "fr")
    refused = await mods.by_permission.slash(
        mods.channel, "event import", file=("club.csv", BAD_CSV.encode())
    )
    assert refused.ephemeral
    problems = refused.response.embeds[0].fields[0].value
    assert f"ligne 2, circuit{NBSP}: aucun circuit ne s'appelle 'Nowhere Park'" in problems, problems
    assert f"ligne 2, date{NBSP}: '2027-02-30' n'est pas une date" in problems, problems
    assert "line 2" not in problems


# ---------------------------------------------------------------- the console's own lines


def fanbot_fr(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FANBOT_DB": str(cwd / "fanbot.sqlite3")}
    return subprocess.run(
        [sys.executable, "-m", "fanbot.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def test_a_bad_time_zone_is_refused_in_french(tmp_path):
    done = fanbot_fr("ask", "--locale", "fr", "--tz", "Nowhere/Else", "/nextrace", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "fanbot: --tz 'Nowhere/Else' n'est pas un fuseau horaire IANA (par exemple Europe/Paris, ou UTC)"
    ), done.stderr


@pytest.mark.parametrize(
    ("args", "code", "french"),
    [
        (("--guild", "99999999999999999999999"), 2, "n'est pas un identifiant de serveur Discord"),
        (("--at", "tomorrow-ish"), 2, "Impossible de lire 'tomorrow-ish' comme une date et une heure"),
        (("--db", "."), 1, f"--db{NBSP}: . est un dossier, pas un fichier de base de données"),
        (("--db", "missing/folder/x.sqlite3"), 1, "le dossier missing/folder n'existe pas"),
    ],
)
def test_the_consoles_error_lines_are_in_french(tmp_path, capsys, monkeypatch, args, code, french):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FANBOT_DB", str(tmp_path / "fanbot.sqlite3"))
    assert main(["ask", "--locale", "fr", *args, "/nextrace"]) == code
    err = capsys.readouterr().err
    assert french in err, err


def test_a_failed_console_line_is_apologised_for_in_french(tmp_path, capsys, monkeypatch):
    import fanbot.cli as cli

    async def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FANBOT_DB", str(tmp_path / "fanbot.sqlite3"))
    monkeypatch.setattr(cli, "answer_line", broken)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("/nextrace\nquit\n"))
    assert main(["console", "--locale", "fr"]) == 0
    out = capsys.readouterr().out
    assert f"Désolé, cette commande a échoué{NBSP}: RuntimeError: boom. C'est un bogue de fanbot" in out, out


# ---------------------------------------------------------------- words that agree


def test_which_one_asks_without_a_masculine_pronoun_whatever_was_meant():
    from fanbot.answers.errors import WHAT_TEAM, Ambiguous

    asked = Ambiguous(WHAT_TEAM, "rebellion", [("A", "a"), ("B", "b")], "team")
    question = asked.question(translator("fr"))
    assert question == f"Quel choix pour «{NBSP}rebellion{NBSP}» (équipe){NBSP}?"
    assert "lequel" not in question


def test_a_car_without_a_number_says_so_in_the_moderators_language():
    from fanbot.bot.embeds.moderation import entry_line
    from fanbot.domain.model import Entry

    car = Entry(1, None, "Hypercar", "Club team", "Car", ("A. Driver",))
    assert entry_line(car, translator("fr")).startswith("**sans numéro** [Hypercar]")
    assert entry_line(car, translator("en")).startswith("**no number** [Hypercar]")


def test_a_car_not_found_suggests_only_numbers_one_can_type():
    from fanbot.answers.errors import NotFound
    from fanbot.answers.moderation import find_entry
    from fanbot.domain.model import Entry

    cars = [Entry(1, None, "GT", "Club team", None, ()), Entry(2, "7", "GT", "Other team", None, ())]
    with pytest.raises(NotFound) as err:
        find_entry(cars, "9", object())  # type: ignore[arg-type]
    assert err.value.suggestions == ["#7"]
    assert "no number" not in err.value.render(translator("fr"))
