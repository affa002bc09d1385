import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import UserError
from bot.models import MAX_CASE_CHARS, Case
from bot.text import (
    close_skill,
    normalize_skill,
    parse_case,
    parse_duration_or_time,
    parse_skill_levels,
    room_name,
    split_cause,
)

SLACK_CHANNEL = re.compile(r"[a-z0-9_-]{1,80}")
DEMO = "ACME cannot export invoices to PDF since 4.2 #billing #pdf sev2 customer:ACME"
# A Wednesday; Madrid is UTC+1 in March before the DST change on the 29th.
WEDNESDAY_3PM = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


# -- parse_case ---------------------------------------------------------------------------------------------------


def test_parse_case_reads_the_demo_case() -> None:
    assert parse_case(DEMO) == Case(
        text="ACME cannot export invoices to PDF since 4.2",
        tags=("billing", "pdf"),
        severity=2,
        customer="ACME",
        product=None,
        version="4.2",
    )


def test_plain_text_gets_the_defaults() -> None:
    assert parse_case("login page is slow") == Case(text="login page is slow")
    assert parse_case("login page is slow").severity == 3


def test_tags_are_lower_cased_normalised_deduplicated_and_keep_their_order() -> None:
    case = parse_case("export fails #PDF #Billing #pdf #Single_Sign_On #billing")
    assert case.tags == ("pdf", "billing", "single-sign-on")
    assert case.text == "export fails"


def test_punctuation_after_a_tag_belongs_to_the_sentence() -> None:
    case = parse_case("export fails (#pdf), also #billing.")
    assert case.tags == ("pdf", "billing")
    assert case.text == "export fails also"


def test_a_numeric_hashtag_is_a_ticket_number_and_stays_in_the_text() -> None:
    case = parse_case("see order #12345 #billing")
    assert case.tags == ("billing",)
    assert case.text == "see order #12345"


def test_a_lone_hash_stays_in_the_text() -> None:
    assert parse_case("press # to continue").text == "press # to continue"


@pytest.mark.parametrize(
    ("token", "severity"),
    [("sev1", 1), ("SEV2", 2), ("Sev4", 4), ("sev:2", 2), ("sev:1", 1), ("severity:4", 4), ("sev2.", 2)],
)
def test_severity_forms(token: str, severity: int) -> None:
    case = parse_case(f"payments are down {token}")
    assert case.severity == severity
    assert case.text == "payments are down"


@pytest.mark.parametrize("token", ["sev0", "sev7", "SEV:5", "sev12"])
def test_a_severity_out_of_range_is_refused(token: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_case(f"payments are down {token}")
    assert caught.value.reason == "bad_severity"
    assert caught.value.details == {"value": token}


def test_words_that_only_start_like_sev_are_text() -> None:
    case = parse_case("several users see sevx errors")
    assert case.severity == 3
    assert case.text == "several users see sevx errors"


def test_the_last_severity_given_wins() -> None:
    assert parse_case("down sev3 sev1").severity == 1


def test_customer_single_token_and_the_name_stays_when_also_a_plain_word() -> None:
    case = parse_case("ACME cannot log in customer:ACME")
    assert case.customer == "ACME"
    assert case.text == "ACME cannot log in"


@pytest.mark.parametrize(
    "written",
    ['customer:"Acme Corp"', "customer:“Acme Corp”", 'Customer: "Acme Corp"', 'customer:"Acme   Corp",'],
)
def test_quoted_customer_names_keep_their_spaces(written: str) -> None:
    case = parse_case(f"login fails {written} after the update")
    assert case.customer == "Acme Corp"
    assert case.text == "login fails after the update"


def test_a_space_after_the_colon_takes_the_next_word() -> None:
    case = parse_case("login fails customer: Globex, since Monday")
    assert case.customer == "Globex"
    assert case.text == "login fails since Monday"


def test_a_dangling_field_does_not_swallow_a_tag() -> None:
    case = parse_case("login fails customer: #sso")
    assert case.customer is None
    assert case.tags == ("sso",)
    assert case.text == "login fails"


def test_an_empty_quoted_customer_is_no_customer() -> None:
    case = parse_case('login fails customer:""')
    assert case.customer is None
    assert case.text == "login fails"


def test_product_and_explicit_version() -> None:
    case = parse_case("crash on start product:Portal version:V5.1 since 4.2")
    assert case.product == "Portal"
    assert case.version == "5.1"  # the explicit field beats the version in the prose
    assert case.text == "crash on start since 4.2"


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("export broke since 4.2", "4.2"),
        ("crash in v4.2.1 on login", "4.2.1"),
        ("crash in V4 on login", "4"),
        ("broken in version 4.2", "4.2"),
        ("broken in Version 5", "5"),
        ("broken after upgrading to 7.0.3", "7.0.3"),
        ("broken since 4.2, was fine in v4.1", "4.2"),
    ],
)
def test_a_version_in_free_text_is_detected(text: str, version: str) -> None:
    case = parse_case(text)
    assert case.version == version
    assert case.text == text  # detection does not take the words out


@pytest.mark.parametrize("text", ["the fee is 4.50 more", "broken since 2023", "upgrade to dev1 server", "tv5 app"])
def test_numbers_without_a_version_cue_are_not_versions(text: str) -> None:
    assert parse_case(text).version is None


def test_whitespace_is_normalised() -> None:
    assert parse_case("  ACME\n cannot \t export   #pdf \n").text == "ACME cannot export"


@pytest.mark.parametrize("text", ["", "   ", "#billing #pdf sev2 customer:ACME", 'customer:"Acme Corp" sev1'])
def test_no_case_text_left_is_an_empty_case(text: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_case(text)
    assert caught.value.reason == "empty_case"
    assert caught.value.details == {}


def test_case_at_the_limit_is_accepted_and_one_more_char_is_refused() -> None:
    at_limit = "x" * MAX_CASE_CHARS
    assert parse_case(at_limit).text == at_limit
    with pytest.raises(UserError) as caught:
        parse_case(at_limit + "y")
    assert caught.value.reason == "case_too_long"
    assert caught.value.details == {"limit": MAX_CASE_CHARS, "length": MAX_CASE_CHARS + 1}


# -- normalize_skill ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "skill"),
    [
        ("Billing", "billing"),
        ("#PDF", "pdf"),
        ("##pdf", "pdf"),
        ("Single Sign_On", "single-sign-on"),
        ("single  sign   on", "single-sign-on"),
        ("C++", "c++"),
        ("node.js", "node.js"),
        (".NET", ".net"),
        ("pdf.", "pdf"),
        ("-sso-", "sso"),
        ("Facturación", "facturacion"),
        ("e-mail!", "e-mail"),
        ("  api  ", "api"),
        ("!!!", ""),
        ("", ""),
    ],
)
def test_normalize_skill(name: str, skill: str) -> None:
    assert normalize_skill(name) == skill


# -- room_name ----------------------------------------------------------------------------------------------------


def test_room_name_uses_the_first_four_words() -> None:
    assert room_name(1, "ACME cannot export invoices to PDF since 4.2") == "swarm-1-acme-cannot-export-invoices"


def test_room_name_folds_accents_and_drops_words_that_become_empty() -> None:
    assert room_name(42, "— Café «señor» 🚀 no funciona") == "swarm-42-cafe-senor-no-funciona"


def test_room_name_turns_dots_and_slashes_into_dashes() -> None:
    assert room_name(3, "v4.2 pdf/a export_fails") == "swarm-3-v4-2-pdf-a-export-fails"


def test_room_name_with_fewer_words() -> None:
    assert room_name(5, "Timeouts!") == "swarm-5-timeouts"


@pytest.mark.parametrize("text", ["", "   ", "🚀 — !!!", "ログインできない"])
def test_room_name_without_usable_words_is_just_the_number(text: str) -> None:
    assert room_name(1, text) == "swarm-1"


def test_room_name_is_at_most_80_chars_and_never_ends_with_a_dash() -> None:
    name = room_name(123456, " ".join(["a" * 30, "b" * 30, "c" * 30, "d" * 30]))
    assert len(name) <= 80
    assert not name.endswith("-")
    assert name.startswith("swarm-123456-" + "a" * 30)


def test_a_cut_that_lands_on_a_dash_drops_it() -> None:
    # "swarm-1-" plus 71 letters is 79 characters, so the 80th would be the dash before the next word.
    assert room_name(1, "a" * 71 + " next") == "swarm-1-" + "a" * 71


@pytest.mark.parametrize(
    "text", [DEMO, "— Café «señor»", "x" * 500, "a-" * 100, "Ünïcödé ÆØÅ ß", "UPPER lower 123 _under_ ..."]
)
def test_room_name_is_a_valid_slack_channel_name(text: str) -> None:
    assert SLACK_CHANNEL.fullmatch(room_name(9, text))


# -- parse_skill_levels -------------------------------------------------------------------------------------------


def test_skill_levels_with_and_without_a_level() -> None:
    assert parse_skill_levels(["billing:4", "sso"]) == {"billing": 4, "sso": 3}


def test_skill_levels_accept_commas_spaces_around_the_colon_and_hashes() -> None:
    assert parse_skill_levels(["#Billing:", "5,", "SSO,pdf:1"]) == {"billing": 5, "sso": 3, "pdf": 1}


def test_a_repeated_skill_takes_the_last_level() -> None:
    assert parse_skill_levels(["billing:2", "billing:5"]) == {"billing": 5}


@pytest.mark.parametrize(
    ("word", "level"),
    [
        ("billing:0", "0"),
        ("billing:6", "6"),
        ("billing:x", "x"),
        ("billing:4.5", "4.5"),
        ("billing:", ""),
        ("billing:-1", "-1"),
    ],
)
def test_a_level_outside_1_to_5_is_refused(word: str, level: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_skill_levels(["sso", word])
    assert caught.value.reason == "bad_skill_level"
    assert caught.value.details == {"skill": "billing", "level": level}


@pytest.mark.parametrize("words", [[], [""], ["  ", ","]])
def test_no_skills(words: list[str]) -> None:
    with pytest.raises(UserError) as caught:
        parse_skill_levels(words)
    assert caught.value.reason == "no_skills"


@pytest.mark.parametrize("word", [":4", "!!!"])
def test_a_skill_name_that_normalises_to_nothing_is_refused(word: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_skill_levels([word])
    assert caught.value.reason == "bad_skill_name"
    assert caught.value.details == {"skill": word}


# -- split_cause --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("restarted the worker cause: stale cache", ("restarted the worker", "stale cache")),
        ("restarted the worker CAUSE:stale cache", ("restarted the worker", "stale cache")),
        ("restarted the worker; cause : stale cache", ("restarted the worker", "stale cache")),
        ("restarted the worker. Root cause: stale cache", ("restarted the worker.", "stale cache")),
        ("cleared it cause: cache cause: deploy", ("cleared it", "cache cause: deploy")),
        ("cause: only a cause", ("", "only a cause")),
        ("restarted the worker", ("restarted the worker", "")),
        ("fixed because: the cache", ("fixed because: the cache", "")),
        ("  padded  ", ("padded", "")),
    ],
)
def test_split_cause(text: str, expected: tuple[str, str]) -> None:
    assert split_cause(text) == expected


# -- parse_duration_or_time ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("2h", timedelta(hours=2)),
        ("30m", timedelta(minutes=30)),
        ("3d", timedelta(days=3)),
        ("1w", timedelta(weeks=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("2 hours", timedelta(hours=2)),
        ("45 min", timedelta(minutes=45)),
        ("2H", timedelta(hours=2)),
        ("for 2h", timedelta(hours=2)),
    ],
)
def test_durations_count_from_now(text: str, delta: timedelta) -> None:
    assert parse_duration_or_time(text, WEDNESDAY_3PM, "Europe/Madrid") == WEDNESDAY_3PM + delta


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow", datetime(2026, 3, 5, 8, 0, tzinfo=UTC)),  # 09:00 in Madrid
        ("friday", datetime(2026, 3, 6, 8, 0, tzinfo=UTC)),
        ("until Friday", datetime(2026, 3, 6, 8, 0, tzinfo=UTC)),
        ("mon", datetime(2026, 3, 9, 8, 0, tzinfo=UTC)),
        ("wednesday", datetime(2026, 3, 11, 8, 0, tzinfo=UTC)),  # today is Wednesday: next week's
        ("2026-12-01", datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),
        ("2026-12-01 14:30", datetime(2026, 12, 1, 13, 30, tzinfo=UTC)),
        ("2026-12-01T14:30", datetime(2026, 12, 1, 13, 30, tzinfo=UTC)),
        ("17:00", datetime(2026, 3, 4, 16, 0, tzinfo=UTC)),  # it is 16:00 in Madrid: later today
        ("16:00", datetime(2026, 3, 5, 15, 0, tzinfo=UTC)),  # exactly now: tomorrow
        ("9:30", datetime(2026, 3, 5, 8, 30, tzinfo=UTC)),  # passed: tomorrow
        ("5pm", datetime(2026, 3, 4, 16, 0, tzinfo=UTC)),
        ("12am", datetime(2026, 3, 4, 23, 0, tzinfo=UTC)),
        ("12pm", datetime(2026, 3, 5, 11, 0, tzinfo=UTC)),
    ],
)
def test_days_dates_and_clock_times_are_local(text: str, expected: datetime) -> None:
    result = parse_duration_or_time(text, WEDNESDAY_3PM, "Europe/Madrid")
    assert result == expected
    assert result.utcoffset() == timedelta(0)


def test_tomorrow_is_the_local_tomorrow_across_the_date_line() -> None:
    # 15:00 UTC on Wednesday is 02:00 on Thursday in Sydney, so tomorrow there is Friday.
    assert parse_duration_or_time("tomorrow", WEDNESDAY_3PM, "Australia/Sydney") == datetime(
        2026, 3, 5, 22, 0, tzinfo=UTC
    )


def test_tomorrow_follows_a_daylight_saving_change() -> None:
    saturday = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    # Madrid moves to UTC+2 on Sunday 29 March, so 09:00 local is 07:00 UTC.
    assert parse_duration_or_time("tomorrow", saturday, "Europe/Madrid") == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)


def test_an_unknown_timezone_counts_as_utc() -> None:
    assert parse_duration_or_time("tomorrow", WEDNESDAY_3PM, "Mars/Olympus") == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


def test_a_naive_now_is_taken_as_utc() -> None:
    naive = datetime(2026, 3, 4, 15, 0)
    assert parse_duration_or_time("2h", naive, "UTC") == datetime(2026, 3, 4, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "soon",
        "5",
        "0h",
        "0m",
        "2hx",
        "99999999999d",
        "400d",
        "2020-01-01",
        "2026-03-04",
        "2026-02-30",
        "25:00",
        "12:60",
        "13pm",
        "0am",
        "next week",
        "2026-12-01 25:00",
        "until",
    ],
)
def test_bad_until(text: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_duration_or_time(text, WEDNESDAY_3PM, "Europe/Madrid")
    assert caught.value.reason == "bad_until"
    # The example to try instead is a date to come: two weeks from the day it is in Madrid.
    assert caught.value.details == {"value": text, "example": "2026-03-18"}


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("biling", "billing"),  # a letter missing
        ("paymnets", "payments"),  # two neighbours swapped
        ("billing", None),  # known
        ("kubernetes", None),  # nothing close
        ("pdff", None),  # under five letters: too many short words are a letter apart
    ],
)
def test_close_skill_is_a_slip_from_a_known_one(typed: str, meant: str | None) -> None:
    assert close_skill(typed, ["billing", "payments", "pdf", "sso"]) == meant
