"""Translations: zh-hans is complete, up to date with the source, and used by the pages."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.test import Client
from django.utils import timezone, translation

from orders.models import OrderState
from tests.factories import make_user, order_in_state

ROOT = Path(__file__).resolve().parent.parent
PO_PATH = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
SOURCES = ["manage.py", "oms", "customers", "inventory", "orders", "logistics", "templates", "locale"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\{ *\w+ *\}\}|\{\w+\}")


def test_zh_hans_catalogue_is_complete_and_not_fuzzy():
    po = polib.pofile(str(PO_PATH))
    assert len(po) > 100
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert "fuzzy" not in (po.metadata_is_fuzzy or "")


def test_zh_hans_translations_keep_their_placeholders():
    for entry in polib.pofile(str(PO_PATH)):
        if entry.msgid_plural:
            assert sorted(PLACEHOLDER.findall(entry.msgstr_plural[0])) == sorted(
                PLACEHOLDER.findall(entry.msgid_plural)), entry.msgid
        else:
            assert sorted(PLACEHOLDER.findall(entry.msgstr)) == sorted(PLACEHOLDER.findall(entry.msgid)), entry.msgid


def test_every_message_in_the_source_is_translated(tmp_path):
    """Extract the messages afresh from a copy of the sources: anything new (untranslated)
    or changed (fuzzy) since the catalogue was last updated fails here."""
    if not shutil.which("xgettext"):
        pytest.fail("GNU gettext (xgettext) is needed to extract messages: apt-get install gettext")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        else:
            shutil.copy2(source, tmp_path / name)
    subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "-v0"],
                   cwd=tmp_path, check=True, capture_output=True, text=True)
    fresh = polib.pofile(str(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in fresh.untranslated_entries()] + [e.msgid for e in fresh.fuzzy_entries()]
    assert missing == [], "run `manage.py makemessages -l zh_Hans` and translate these"


@pytest.mark.django_db
def test_pages_follow_the_browser_language_and_format_for_it(users, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    order = order_in_state("submitted", users)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")
    client.force_login(users["reviewer"])
    html = client.get(f"/orders/{order.pk}/").content.decode()
    with translation.override("zh-hans"):
        submitted_label = str(OrderState.SUBMITTED.label)
    assert submitted_label != "Submitted" and submitted_label in html
    assert 'lang="zh-hans"' in html
    assert f"{order.requested_date.year}年{order.requested_date.month}月{order.requested_date.day}日" in html
    assert "审核通过" in html  # the approve button, in the glossary's words

    english = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    english.force_login(users["reviewer"])
    assert "Submitted" in english.get(f"/orders/{order.pk}/").content.decode()


@pytest.mark.django_db
def test_language_switch_on_every_page_changes_the_language(settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user("sales"))
    home = client.get("/").content.decode()
    assert 'action="/i18n/setlang/"' in home and 'value="zh-hans"' in home
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"}, follow=True)
    assert 'lang="zh-hans"' in response.content.decode()
    assert "退出" in response.content.decode() or "登出" in response.content.decode()
    login_page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/accounts/login/").content.decode()
    assert 'action="/i18n/setlang/"' in login_page


def test_money_and_quantities_are_formatted_for_the_language():
    from decimal import Decimal

    from oms.templatetags.oms_tags import money, quantity

    with translation.override("zh-hans"):
        assert money(Decimal("1234567.5"), "CNY") == "¥1,234,567.50"
    with translation.override("en"):
        assert money(Decimal("1234.5"), "EUR") == "€1,234.50"
        assert money(Decimal("3"), "GBP") == "GBP 3.00"
        assert quantity(Decimal("12.000")) == "12" and quantity(Decimal("2.500")) == "2.5"
    assert timezone.now()  # settings load with a real time zone
