import pytest

from bot import knowledge
from bot.errors import UserError
from bot.knowledge import TITLE_MAX_CHARS, draft_article, environment_for, title_for
from bot.models import Article, ArticleState, Case, Swarm

DEMO_CASE = Case(
    text="ACME cannot export invoices to PDF since 4.2",
    tags=("billing", "pdf"),
    severity=2,
    customer="ACME",
    product="Invoicing",
    version="4.2",
)


def swarm(case: Case = DEMO_CASE) -> Swarm:
    return Swarm(workspace_id=7, number=42, case=case, owner_id=1, origin_channel="C01SUPPORT", id=99)


def test_draft_article_has_the_kcs_shape() -> None:
    article = draft_article(
        swarm(),
        resolution="Cleared the PDF template cache.",
        cause="stale template cache after the 4.2 upgrade",
        solutions=["flush it with `cache clear --templates`", "then re-run the export"],
        contributors=["Ana Ruiz", "Chloe Martin"],
    )
    assert article == Article(
        workspace_id=7,
        title="ACME cannot export invoices to PDF since 4.2",
        issue="ACME cannot export invoices to PDF since 4.2",
        environment="Product: Invoicing · Version: 4.2 · Customer: ACME · Severity: sev2",
        resolution=(
            "Cleared the PDF template cache.\n- flush it with `cache clear --templates`\n- then re-run the export"
        ),
        cause="stale template cache after the 4.2 upgrade",
        tags=["billing", "pdf"],
        contributors=["Ana Ruiz", "Chloe Martin"],
        state=ArticleState.DRAFT,
        swarm_id=99,
    )


def test_solutions_alone_make_a_resolution() -> None:
    article = draft_article(swarm(), resolution="  ", cause="", solutions=["restart the worker"], contributors=[])
    assert article.resolution == "- restart the worker"


def test_resolution_alone_is_enough() -> None:
    article = draft_article(swarm(), resolution=" restarted the worker ", cause=" ", solutions=[], contributors=[])
    assert (article.resolution, article.cause) == ("restarted the worker", "")


def test_blank_and_repeated_solutions_and_contributors_are_dropped() -> None:
    article = draft_article(
        swarm(),
        resolution="",
        cause="",
        solutions=["fix A", "  ", "fix A", " fix B "],
        contributors=["Ana", "", "Bruno", "Ana", " Bruno "],
    )
    assert article.resolution == "- fix A\n- fix B"
    assert article.contributors == ["Ana", "Bruno"]


def test_a_multi_line_solution_stays_inside_its_bullet() -> None:
    article = draft_article(
        swarm(), resolution="Fixed.", cause="", solutions=["run:\ncache clear\n\nthen export"], contributors=[]
    )
    assert article.resolution == "Fixed.\n- run:\n  cache clear\n\n  then export"


@pytest.mark.parametrize("solutions", [[], ["", "   "]])
def test_nothing_to_say_is_an_empty_resolution(solutions: list[str]) -> None:
    with pytest.raises(UserError) as caught:
        draft_article(
            swarm(), resolution=" \n ", cause="a cause alone is not a fix", solutions=solutions, contributors=["Ana"]
        )
    assert caught.value.reason == "empty_resolution"
    assert caught.value.details == {}


def test_the_article_does_not_share_the_swarms_tags() -> None:
    article = draft_article(swarm(), resolution="x", cause="", solutions=[], contributors=[])
    article.tags.append("extra")
    assert swarm().case.tags == ("billing", "pdf")
    assert article.tags == ["billing", "pdf", "extra"]


def test_a_long_case_gets_a_short_title_and_keeps_the_full_issue() -> None:
    text = "ACME cannot export invoices to PDF since 4.2 " + "and the error repeats on every retry " * 5
    article = draft_article(swarm(Case(text=text.strip())), resolution="x", cause="", solutions=[], contributors=[])
    assert article.issue == text.strip()
    assert len(article.title) <= TITLE_MAX_CHARS
    assert article.title.endswith("…")
    assert text.startswith(article.title[:-1])
    assert text[len(article.title) - 1] == " "  # cut between words


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("short title", "short title"),
        ("one,  two\nthree", "one, two three"),
        ("a" * 100, "a" * 100),
        ("a" * 101, "a" * 99 + "…"),  # one endless word is cut inside it
        ("x" * 99 + " tail", "x" * 99 + "…"),  # the word ends exactly where the title must
        ("word " * 19 + "abcdefgh", ("word " * 19).strip() + "…"),
    ],
)
def test_title_for(text: str, title: str) -> None:
    assert title_for(text) == title
    assert len(title_for(text)) <= TITLE_MAX_CHARS


def test_title_drops_a_partial_word_and_trailing_punctuation() -> None:
    assert title_for("alpha beta, gamma", limit=14) == "alpha beta…"
    assert title_for("alpha beta gamma", limit=12) == "alpha beta…"
    assert title_for("alpha beta gamma", limit=16) == "alpha beta gamma"


@pytest.mark.parametrize(
    ("case", "environment"),
    [
        (DEMO_CASE, "Product: Invoicing · Version: 4.2 · Customer: ACME · Severity: sev2"),
        (Case(text="x", customer="Acme Corp", severity=1), "Customer: Acme Corp · Severity: sev1"),
        (Case(text="x", version="4.2"), "Version: 4.2 · Severity: sev3"),
        (Case(text="x"), "Severity: sev3"),
    ],
)
def test_environment_lists_only_what_the_case_says(case: Case, environment: str) -> None:
    assert environment_for(case) == environment


def _asked_of(*asked: str) -> Article:
    return Article(1, "PDF export blank", "ACME invoices export to PDF blank", "", "", asked=list(asked))


def test_asked_again_keeps_the_case_words_first_redacted_on_one_line() -> None:
    article = _asked_of("statements empty")
    asked = knowledge.asked_again(article, "Globex   statements\nprint empty, call +1 415 555 0100")
    assert asked == ["Globex statements print empty, call [phone removed]", "statements empty"]


def test_asked_again_moves_a_known_wording_to_the_front_and_keeps_the_newest() -> None:
    article = _asked_of(*(f"wording {i}" for i in range(knowledge.ASKED_KEPT)))
    assert knowledge.asked_again(article, "Wording 3")[:2] == ["Wording 3", "wording 0"]
    assert len(knowledge.asked_again(article, "Wording 3")) == knowledge.ASKED_KEPT
    newest = knowledge.asked_again(article, "something else")
    assert newest[0] == "something else" and f"wording {knowledge.ASKED_KEPT - 1}" not in newest


def test_asked_again_skips_words_the_article_has_and_cuts_long_cases() -> None:
    article = _asked_of()
    assert knowledge.asked_again(article, "PDF export blank!") == []
    long = knowledge.asked_again(article, "spinner " * 100)[0]
    assert len(long) <= knowledge.ASKED_MAX_CHARS and long.endswith("…") and "spinne…" not in long


@pytest.mark.parametrize(
    ("text", "repeats"),
    [
        ("ACME export fails", True),
        ("acme  export\nfails.", True),
        ("ACME export fails since 4.2", False),
        ("Cleared the cache.", False),
        ("", False),
    ],
)
def test_a_text_repeats_the_title_when_it_says_nothing_else(text: str, repeats: bool) -> None:
    assert knowledge.repeats_title("ACME export fails", text) is repeats
