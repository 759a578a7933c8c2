"""The gettext catalogs (``fr/LC_MESSAGES/*.po``), read at start by ``fanbot.i18n``."""
