"""Brings the Chinese catalogue of messages up to date with the code (run after changing one).

    python scripts/update_catalogue.py

Extracts every ``_()`` and ``N_()`` msgid under api/, and the titles of the domain's errors
(plain class attributes, since the domain imports nothing of ours), then updates
api/i18n/locale/zh_CN/LC_MESSAGES/messages.po: new msgids arrive untranslated, gone ones are
dropped, translations are kept. tests/unit/test_messages.py fails while one is untranslated.
"""

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "api" / "i18n" / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "N_": None}


def template() -> Catalog:
    sys.path.insert(0, str(ROOT))
    from api.i18n.problem_types import domain_types

    catalog = Catalog(project="casework", fuzzy=False)
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT / "api", keywords=KEYWORDS, comment_tags=()
    ):
        catalog.add(message, locations=[(f"api/{filename}", lineno)])
    for problem in domain_types().values():
        catalog.add(problem.title, locations=[(f"title of {problem.code}", 0)])
    return catalog


def main() -> None:
    with PO.open("rb") as source:
        catalog = read_po(source, locale="zh_CN")
    created = catalog.creation_date
    catalog.update(template(), no_fuzzy_matching=True)
    catalog.creation_date = created  # the header changes only with the messages
    with PO.open("wb") as target:
        write_po(target, catalog, width=100, ignore_obsolete=True, include_lineno=False)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    print(f"{PO.relative_to(ROOT)}: {len(catalog)} messages, {len(untranslated)} untranslated")


if __name__ == "__main__":
    main()
