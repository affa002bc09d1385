"""Search filters (tags, phrases, states), ranking rules and hostile input, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import math
import random

import pytest
from sqlalchemy import text

from bot.models import Article, ArticleState, Workspace
from bot.search_query import parse_query
from bot.swarms import known_issues
from storage import search
from storage.database import SqlStore
from storage.search import COMMON_MIN_ARTICLES, PRUNE_FROM_TERMS, fts5_query, phrase_words, search_tags, tsquery_text

HOSTILE = [
    '"',
    '"unbalanced phrase',
    '""',
    '" "',
    '"*"',
    '"-"',
    '"NEAR(a b)"',
    '"export" "timeout"',
    "NEAR(",
    "NEAR(export timeout, 2)",
    '"NEAR(" export',
    "*",
    "exp*",
    "-",
    "--",
    "-export",
    "AND OR NOT",
    "export AND OR NOT",
    '"AND" "OR" "NOT"',
    "#",
    "##",
    "#-",
    "#*",
    '#"',
    "#NEAR(",
    "# AND",
    "state:",
    "state:nonsense",
    "state:all state:draft",
    "state:all",
    "🙋🔥😱",
    '"😱 export"',
    "#😱",
    "export\x00timeout",
    '"\x00"',
    "\ud800",
    '"\ud800"',
    "'; DROP TABLE article; --",
    '"\'; DROP TABLE article; --"',
    "#'; DROP TABLE article; --",
    "%_% \\",
    ":*",
    "'a':* & 'b'",
    "a" * 6000,
    '"' + "export " * 800 + '"',
    " ".join(f'"w{i} x{i}"' for i in range(40)),
    " ".join(f"#t{i}" for i in range(40)),
    "“curly phrase” «guillemets»",
    "Ｅｘｐｏｒｔ ＃ＣＳＶ",
]


def _article(workspace: Workspace, title: str, **fields: object) -> Article:
    values: dict[str, object] = {"issue": "", "environment": "", "resolution": ""} | fields
    return Article(workspace_id=workspace.id, title=title, **values)  # type: ignore[arg-type]


@pytest.fixture
async def knowledge(store: SqlStore, workspace: Workspace, other_workspace: Workspace) -> list[Article]:
    articles = [
        _article(
            workspace,
            "CSV export times out",
            issue="Exporting a large ledger to CSV fails with a timeout after 30 seconds.",
            resolution="Raise export_timeout to 300 in settings.",
            cause="The default timeout is too low for big ledgers.",
            tags=["export", "csv"],
            state=ArticleState.VALIDATED,
            reuse_count=1,
        ),
        _article(
            workspace,
            "PDF export shows a blank page",
            issue="The invoice PDF export comes out blank after the upgrade.",
            resolution="Clear the template cache.",
            tags=["export", "pdf", "billing"],
            state=ArticleState.DRAFT,
            reuse_count=4,
        ),
        _article(
            workspace,
            "Invoice totals are off",
            issue="The export of invoice totals shows a blank total for large ledgers.",
            resolution="Recalculate totals.",
            tags=["billing"],
            state=ArticleState.VALIDATED,
        ),
        _article(
            workspace,
            "Old PDF export bug",
            issue="PDF export comes out blank on 1.0.",
            resolution="Upgrade.",
            tags=["pdf", "export"],
            state=ArticleState.ARCHIVED,
        ),
        _article(
            other_workspace,
            "Globex PDF export",
            issue="PDF export comes out blank at Globex.",
            tags=["pdf", "export"],
            state=ArticleState.VALIDATED,
        ),
    ]
    async with store.unit() as uow:
        added = [await uow.articles.add(a) for a in articles]
        await uow.commit()
    return added


async def _titles(store: SqlStore, workspace: Workspace, query: str, **options: object) -> list[str]:
    async with store.unit() as uow:
        hits = await uow.articles.search(workspace.id, query, **options)  # type: ignore[arg-type]
    return [hit.article.title for hit in hits]


async def _parsed(store: SqlStore, workspace: Workspace, typed: str) -> list[str]:
    """What a search typed after `/swarm kb` finds, states as KnowledgeBase passes them."""
    query = parse_query(typed)
    states = query.states or (ArticleState.DRAFT, ArticleState.VALIDATED)
    return await _titles(store, workspace, query.terms, states=states, tags=query.tags, phrases=query.phrases)


@pytest.mark.usefixtures("knowledge")
async def test_tags_keep_the_articles_with_every_tag_given(store: SqlStore, workspace: Workspace) -> None:
    assert await _titles(store, workspace, "export", tags=["pdf"]) == ["PDF export shows a blank page"]
    assert set(await _titles(store, workspace, "export", tags=["billing"])) == {
        "PDF export shows a blank page",
        "Invoice totals are off",
    }
    assert await _titles(store, workspace, "export", tags=["billing", "pdf"]) == ["PDF export shows a blank page"]
    assert await _titles(store, workspace, "export", tags=["BILLING", " pdf "]) == ["PDF export shows a blank page"]
    assert await _titles(store, workspace, "export", tags=["nope"]) == []
    # A tag is matched whole, never as a part of another one or of the JSON text.
    assert await _titles(store, workspace, "export", tags=["bill"]) == []
    assert await _titles(store, workspace, "export", tags=['"billing"']) == []


@pytest.mark.usefixtures("knowledge")
async def test_tags_alone_list_the_tagged_articles_most_reused_first(store: SqlStore, workspace: Workspace) -> None:
    assert await _titles(store, workspace, "", tags=["export"]) == [
        "PDF export shows a blank page",
        "CSV export times out",
    ]
    async with store.unit() as uow:
        [hit] = await uow.articles.search(workspace.id, "", tags=["csv"])
    assert hit.snippet.startswith("Exporting a large ledger")
    assert await _titles(store, workspace, "", tags=["export"], states=list(ArticleState)) == [
        "PDF export shows a blank page",
        "CSV export times out",
        "Old PDF export bug",
    ]


@pytest.mark.usefixtures("knowledge")
async def test_a_phrase_needs_its_words_together_and_in_order(store: SqlStore, workspace: Workspace) -> None:
    # "comes out blank" is in one article; "blank" alone is in two, "out" in three.
    assert await _titles(store, workspace, "", phrases=["comes out blank"]) == ["PDF export shows a blank page"]
    assert await _titles(store, workspace, "", phrases=["blank comes out"]) == []
    assert await _titles(store, workspace, "", phrases=["template cache"]) == ["PDF export shows a blank page"]
    # Words and a phrase: the phrase is required, the words rank.
    assert await _titles(store, workspace, "ledger", phrases=["invoice totals"]) == ["Invoice totals are off"]
    assert await _titles(store, workspace, "export", phrases=["ledger to CSV"]) == ["CSV export times out"]
    # Phrases stem like words do, and are read as plain words whatever they hold.
    assert await _titles(store, workspace, "", phrases=["EXPORTING a LARGE ledger"]) == ["CSV export times out"]
    assert await _titles(store, workspace, "", phrases=['export_timeout "to" 300*']) == ["CSV export times out"]
    assert await _titles(store, workspace, "", phrases=["the of and"]) == []


@pytest.mark.usefixtures("knowledge")
async def test_filters_combine_with_states(store: SqlStore, workspace: Workspace) -> None:
    assert await _parsed(store, workspace, '"comes out blank" #pdf') == ["PDF export shows a blank page"]
    assert await _parsed(store, workspace, '"comes out blank" #pdf state:archived') == ["Old PDF export bug"]
    assert await _parsed(store, workspace, "blank state:validated") == ["Invoice totals are off"]
    assert set(await _parsed(store, workspace, "blank state:all")) == {
        "PDF export shows a blank page",
        "Invoice totals are off",
        "Old PDF export bug",
    }
    assert await _parsed(store, workspace, "#pdf state:draft") == ["PDF export shows a blank page"]


@pytest.mark.usefixtures("knowledge")
async def test_articles_with_every_word_come_first(store: SqlStore, workspace: Workspace) -> None:
    # "blank" and "ledger" are both in one article only; each alone is in others too.
    assert (await _titles(store, workspace, "blank ledgers"))[0] == "Invoice totals are off"
    async with store.unit() as uow:
        hits = await uow.articles.search(workspace.id, "blank ledgers")
    assert [h.rank for h in hits] == sorted((h.rank for h in hits), reverse=True)
    assert len(hits) == 3


@pytest.mark.usefixtures("knowledge")
async def test_a_long_text_still_finds_what_its_rarer_words_say(store: SqlStore, workspace: Workspace) -> None:
    long = "hello the customer says export export_timeout ledger csv timeout thirty seconds please help urgent"
    assert len(long.split()) > PRUNE_FROM_TERMS
    assert (await _titles(store, workspace, long))[0] == "CSV export times out"
    # Asked twice, the word counts are remembered; the answer is the same.
    assert (await _titles(store, workspace, long))[0] == "CSV export times out"


@pytest.mark.usefixtures("knowledge")
async def test_filters_see_only_the_workspace(
    store: SqlStore, workspace: Workspace, other_workspace: Workspace
) -> None:
    assert await _titles(store, other_workspace, "", tags=["pdf"]) == ["Globex PDF export"]
    assert await _titles(store, other_workspace, "", phrases=["comes out blank"]) == ["Globex PDF export"]
    assert "Globex PDF export" not in await _titles(store, workspace, "globex export", tags=["pdf"])


@pytest.mark.usefixtures("knowledge")
async def test_any_text_with_filters_is_a_valid_query(store: SqlStore, workspace: Workspace) -> None:
    rng = random.Random(6)
    alphabet = ['"', "*", "-", "(", ")", "#", ":", "^", "'", "\\", "\x00", "😱", "NEAR", "AND", "OR", "NOT", " ", "a"]
    fuzz = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))) for _ in range(60)]
    async with store.unit() as uow:
        for typed in HOSTILE + fuzz:
            query = parse_query(typed)
            hits = await uow.articles.search(
                workspace.id,
                query.terms,
                states=query.states or (ArticleState.DRAFT, ArticleState.VALIDATED),
                tags=query.tags,
                phrases=query.phrases,
            )
            assert isinstance(hits, list), typed
            # Raw filters too, as a caller other than the parser could pass them.
            await uow.articles.search(workspace.id, typed, tags=[typed], phrases=[typed])
        # The transaction survived every one of them: on PostgreSQL an error would have aborted it.
        assert await uow.workspaces.next_article_number(workspace.id) > 0


def test_match_expressions_quote_every_word() -> None:
    assert fts5_query(["a", "export"]) == '"a" OR "export"*'
    assert fts5_query(["a", "export"], every=True) == '"a" AND "export"*'
    assert fts5_query(["csv"], [["large", "ledger"]]) == '("csv"*) AND "large ledger"'
    assert fts5_query([], [["large", "ledger"], ["x", "y"]]) == '"large ledger" AND "x y"'
    assert tsquery_text(["a", "export"], every=True) == "'a' & 'export':*"
    assert phrase_words('NEAR("a" b)*') == ["near", "a", "b"]
    assert phrase_words("the of") == []
    assert search_tags(["PDF", "pdf", " ", "Billing"]) == ["pdf", "billing"]


async def test_a_number_given_moves_the_counter_past_it(store: SqlStore, workspace: Workspace) -> None:
    async with store.unit() as uow:
        await uow.articles.add(_article(workspace, "imported", number=7))
        await uow.articles.add(_article(workspace, "imported earlier", number=3))
        nxt = await uow.articles.add(_article(workspace, "next"))
        await uow.commit()
        assert nxt.number == 8
        assert [a.number for a in await uow.articles.list(workspace.id)] == [3, 7, 8]
    async with store.engine.connect() as connection:
        counter = (await connection.execute(text("SELECT article_counter FROM workspace WHERE key = 'T-ACME'"))).one()
    assert counter[0] == 8


async def test_a_code_with_a_hyphen_is_found_by_its_number(store: SqlStore, workspace: Workspace) -> None:
    # PostgreSQL reads "ERR-4821" as the word err and the number -4821; SQLite as err and 4821. Both find it.
    async with store.unit() as uow:
        await uow.articles.add(
            _article(workspace, "Export fails", issue="The log shows ERR-4821.", state=ArticleState.VALIDATED)
        )
        await uow.articles.add(
            _article(workspace, "Import fails", issue="The log shows ERR-1234.", state=ArticleState.VALIDATED)
        )
        await uow.commit()
    assert await _parsed(store, workspace, "4821") == ["Export fails"]
    assert (await _parsed(store, workspace, "ERR-4821"))[:1] == ["Export fails"]
    assert (await _parsed(store, workspace, "error 4821"))[:1] == ["Export fails"]
    assert await _parsed(store, workspace, "482") == ["Export fails"]  # the last word is a prefix, as ever


async def test_a_rare_word_outranks_a_common_one_on_both_backends(store: SqlStore, workspace: Workspace) -> None:
    # Many articles say "error" (once, or many times); one has the rare code. Cover density knows no rarity, and
    # BM25 only weighs within one match: the candidates are ordered by the rarity of the words they have.
    async with store.unit() as uow:
        for i in range(COMMON_MIN_ARTICLES + 10):
            issue = f"Error code {1000 + i} appears: error after error in the job log."
            await uow.articles.add(_article(workspace, f"Job {i} fails", issue=issue, state=ArticleState.VALIDATED))
        await uow.articles.add(
            _article(workspace, "Export fails", issue="The log shows ERR-4821.", state=ArticleState.VALIDATED)
        )
        await uow.commit()
    assert (await _parsed(store, workspace, "error 4821"))[:1] == ["Export fails"]
    assert (await _parsed(store, workspace, "job error 4821 log"))[:1] == ["Export fails"]


async def test_each_hit_says_how_much_of_the_query_it_has_rare_words_weighing_more(
    store: SqlStore, workspace: Workspace
) -> None:
    async with store.unit() as uow:
        for i in range(COMMON_MIN_ARTICLES + 10):
            await uow.articles.add(_article(workspace, f"Job {i} is missing records", state=ArticleState.VALIDATED))
        await uow.articles.add(_article(workspace, "Export fails with ERR-4821", state=ArticleState.VALIDATED))
        await uow.commit()
    async with store.unit() as uow:
        hits = await uow.articles.search(workspace.id, "export missing records", limit=3)
    shares = {hit.article.title: hit.matched for hit in hits}
    # One word of three, but the rarest: more than the two common words "missing records" give the others.
    assert shares["Export fails with ERR-4821"] > 0.5
    assert all(share < 0.5 for title, share in shares.items() if title.startswith("Job"))
    async with store.unit() as uow:
        [whole] = await uow.articles.search(workspace.id, "export 4821", limit=1)
        phrase_only = await uow.articles.search(workspace.id, "", limit=1, phrases=["missing records"])
    assert whole.matched == pytest.approx(1.0)
    assert [hit.matched for hit in phrase_only] == [1.0]


async def test_a_small_knowledge_base_counts_its_words_at_every_search(store: SqlStore, workspace: Workspace) -> None:
    # BM25 needs to know how rare each word is, in 77 articles as in 100,000; a small knowledge base counts again at
    # every search, so that an article just added counts at once.
    async with store.unit() as uow:
        await uow.articles.add(_article(workspace, "Export is missing records", state=ArticleState.VALIDATED))
        await uow.commit()
    async with store.unit() as uow:
        [first] = await uow.articles.search(workspace.id, "export refund", limit=1)
        await uow.articles.add(_article(workspace, "Refund is late", state=ArticleState.VALIDATED))
        await uow.articles.add(_article(workspace, "Refund is refused", state=ArticleState.VALIDATED))
        await uow.commit()
    async with store.unit() as uow:
        hits = await uow.articles.search(workspace.id, "export refund", limit=3)
    # Alone, the article had the rarer word of the two; now "refund" is the commoner, and "export" weighs more.
    assert first.matched < 0.5
    assert hits[0].article.title == "Export is missing records" and hits[0].matched > 0.5


async def test_a_word_with_more_articles_than_are_ranked_ranks_the_newest(
    store: SqlStore, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "COMMON_MIN_ARTICLES", 0)
    monkeypatch.setattr(search, "RANK_ROWS", 4)
    async with store.unit() as uow:
        for i in range(12):
            extra = " Template cache stale." if i == 0 else ""
            issue = f"Export number {i} comes out blank.{extra}"
            await uow.articles.add(_article(workspace, f"Export {i}", issue=issue, state=ArticleState.VALIDATED))
        await uow.commit()
    found = await _titles(store, workspace, "export", limit=10)
    # Only RANK_ROWS of the 12 are ranked: the most recent on SQLite, as the index gives them on PostgreSQL.
    assert len(found) == 4
    if store.engine.dialect.name == "sqlite":
        assert sorted(found) == ["Export 10", "Export 11", "Export 8", "Export 9"]
    # Words that narrow it down still find the oldest: articles with every word are few.
    assert (await _titles(store, workspace, "export template stale"))[:1] == ["Export 0"]


async def test_the_articles_ranked_of_a_wide_match_are_all_in_the_workspace_and_states_asked_for(
    store: SqlStore, workspace: Workspace, other_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The older matches belong to another workspace or are archived: had they taken up the RANK_ROWS ranked (as
    # they would as the GIN index gives them on PostgreSQL), nothing of this workspace would be found.
    monkeypatch.setattr(search, "COMMON_MIN_ARTICLES", 0)
    monkeypatch.setattr(search, "RANK_ROWS", 4)
    async with store.unit() as uow:
        for i in range(6):
            await uow.articles.add(_article(other_workspace, f"Their export {i}", issue="Export comes out blank."))
        for i in range(3):
            await uow.articles.add(
                _article(workspace, f"Old export {i}", issue="Export comes out blank.", state=ArticleState.ARCHIVED)
            )
        for i in range(3):
            await uow.articles.add(_article(workspace, f"Export {i}", issue="Export comes out blank."))
        await uow.commit()
    assert sorted(await _titles(store, workspace, "export", limit=10)) == ["Export 0", "Export 1", "Export 2"]
    assert sorted(await _titles(store, workspace, "blank export", limit=10)) == ["Export 0", "Export 1", "Export 2"]


def test_a_query_word_is_found_by_its_stem_at_the_start_of_a_word() -> None:
    # "exporting" by its first five letters, "pdf" (a short stem) as itself with an ending, "tim" (the last word,
    # perhaps cut short as typed) also as the start of a word.
    finder = search._Finder(["exporting", "pdf", "tim"])
    assert finder.present("re-exported pdfs timed out") == {0, 1, 2}
    assert finder.present("reexport pdfa") == set()
    assert finder.present("timezone") == {2}
    assert finder.first("a pdf, then the export of a pdf") == {1: 2, 0: 16}


def test_an_any_word_match_takes_the_rarest_words_and_the_last() -> None:
    stats = search._TermStats(articles=100_000, counted_at=0.0)
    stats.articles_with.update({"why": 30, "pdf": 900, "times": 6000, "out": 9000, "invoi*": 500, "blank*": 700})
    assert search._ranked_terms(["why", "pdf", "times", "out", "invoi"], stats) == ["why", "pdf", "invoi"]
    assert search._ranked_terms(["times", "out"], stats) == ["times", "out"]  # the rarest one and the last, always
    assert not stats.wide(["why", "pdf"], every=False) and stats.wide(["times", "pdf"], every=False)
    assert not stats.wide(["times", "blank"], every=True)


async def test_a_long_article_with_many_of_the_common_words_does_not_outrank_the_one_about_the_question(
    store: SqlStore, workspace: Workspace
) -> None:
    # Issue 26: "Making the text on github crossed out" returned a long answer about ASCII art tables first, which
    # had more of the query's words somewhere in its length. BM25 weighs how often for how long.
    long_text = " ".join(["Making tables in text on github pages with a webapp, the text art looks out of place."] * 8)
    async with store.unit() as uow:
        await uow.articles.add(_article(workspace, "Webapp to create ASCII art tables", issue=long_text))
        await uow.articles.add(_article(workspace, "Strikethrough text", issue="Crossed out text in markdown."))
        for i in range(6):
            await uow.articles.add(_article(workspace, f"Note {i}", issue="Making text bold on github."))
        await uow.commit()
    titles = await _titles(store, workspace, "Making the text on github crossed out", limit=3)
    assert titles[0] == "Strikethrough text"


async def test_a_title_sharing_one_word_does_not_win_over_an_article_about_the_question(
    store: SqlStore, workspace: Workspace
) -> None:
    # "How to remove facebook account?" found "What happens to your Facebook account when you die?" first, when a
    # title word weighed ten words of the text.
    async with store.unit() as uow:
        await uow.articles.add(_article(workspace, "What happens to your Facebook account when you die?"))
        await uow.articles.add(
            _article(workspace, "Delete a social network profile", issue="To remove a facebook account for good.")
        )
        await uow.commit()
    titles = await _titles(store, workspace, "How to remove facebook account?", limit=2)
    assert titles[0] == "Delete a social network profile"


async def test_the_same_words_count_on_both_backends_postgresqls_stop_words_too(
    store: SqlStore, workspace: Workspace
) -> None:
    # PostgreSQL's `english` configuration drops "my", "can", "how"...: SQLite leaves them out too, so that neither
    # ranks by them (they weighed as rare words no article has on PostgreSQL before).
    assert search.search_terms("How can I get my card?") == ["get", "card"]
    async with store.unit() as uow:
        await uow.articles.add(_article(workspace, "Card delivery", issue="When will the card arrive?"))
        await uow.articles.add(_article(workspace, "My account", issue="How can I see my account? I can not."))
        await uow.commit()
    assert (await _titles(store, workspace, "How can I get my card?", limit=2))[:1] == ["Card delivery"]


async def test_a_phrase_no_article_has_is_searched_as_plain_words_rather_than_finding_nothing(
    store: SqlStore, workspace: Workspace
) -> None:
    async with store.unit() as uow:
        await uow.articles.add(_article(workspace, "Spelling suggestions", issue="Did you mean is gone from search."))
        await uow.commit()
    async with store.unit() as uow:
        as_phrase = await known_issues(uow, workspace.id, "", phrases=["did you mean"])
        as_words = await known_issues(uow, workspace.id, "", phrases=["you did mean it"])
    assert [hit.article.title for hit in as_phrase] == ["Spelling suggestions"]
    assert [hit.article.title for hit in as_words] == ["Spelling suggestions"]


async def test_an_article_rewritten_is_ranked_by_its_new_words(store: SqlStore, workspace: Workspace) -> None:
    # The database ranks by the word counts kept beside the text (migration 0017_search_rank): a save counts again.
    async with store.unit() as uow:
        first = await uow.articles.add(_article(workspace, "Invoice totals are off", issue="Rounding on invoices."))
        await uow.articles.add(_article(workspace, "Refund is late", issue="Refunds take a week to arrive."))
        await uow.commit()
    async with store.unit() as uow:
        first.title, first.issue = "Refund never arrives", "A refund was approved but never arrived."
        await uow.articles.save(first)
        await uow.commit()
    async with store.unit() as uow:
        hits = await uow.articles.search(workspace.id, "refund never arrived", limit=2)
        gone = await uow.articles.search(workspace.id, "invoice rounding", limit=2)
    assert [hit.article.title for hit in hits] == ["Refund never arrives", "Refund is late"]
    assert hits[0].rank > hits[1].rank > 0 and hits[0].matched == pytest.approx(1.0)
    assert gone == []


async def test_the_same_rank_on_both_backends(store: SqlStore, workspace: Workspace) -> None:
    # BM25 from the article's word counts, computed by the database: a title word counts three, a word once in a
    # short article outranks the same word once in a long one, and the figure is BM25's, whichever the backend.
    async with store.unit() as uow:
        await uow.articles.add(_article(workspace, "Card arrival", issue="When will my card arrive?"))
        await uow.articles.add(_article(workspace, "Card limits", issue="What is the card limit?"))
        await uow.commit()
    async with store.unit() as uow:
        [hit, other] = await uow.articles.search(workspace.id, "card arrive", limit=2)
    assert hit.article.title == "Card arrival"
    # Two articles, "card" in both (idf ln(1 + 0.5 / 2.5)), "arriv" in one (idf ln(1 + 1.5 / 1.5)); lengths 3 + 3 +
    # 1 + 1 (title words count 3; "when", "will", "my" are stop words) and 3 + 3 + 1 + 1: the average, so the
    # length norm is k1; "card" 4 times and "arriv" 3 + 1 in the first.
    idf_card, idf_arrive = math.log(1 + 0.5 / 2.5), math.log(2.0)
    expected = idf_card * 4 * 2.2 / (4 + 1.2) + idf_arrive * 4 * 2.2 / (4 + 1.2)
    assert hit.rank == pytest.approx(expected, rel=1e-4)
    assert other.rank == pytest.approx(idf_card * 4 * 2.2 / (4 + 1.2), rel=1e-4)


async def test_postgresql_reads_how_many_articles_have_a_common_word_from_analyze_rather_than_counting(
    store: SqlStore, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Counting a word that a fifth of 100,000 articles have read 20,000 rows at every new word of a search. After an
    # ANALYZE, PostgreSQL knows its commonest words: a count capped far below the real one shows the estimate is
    # used (SQLite's index counts a word's documents cheaply and has no such statistics: it counts to the cap).
    monkeypatch.setattr(search, "RANK_ROWS", 3)
    monkeypatch.setattr(search, "COMMON_SHARE", 0.01)
    monkeypatch.setattr(search, "COMMON_MIN_ARTICLES", 0)  # statistics are read for 100 articles and more
    async with store.unit() as uow:
        for i in range(20):
            rare = " Template cache stale." if i == 0 else ""
            await uow.articles.add(_article(workspace, f"Invoice {i}", issue=f"The invoice PDF comes out blank.{rare}"))
        await uow.commit()
    postgresql = store.engine.dialect.name == "postgresql"
    if postgresql:
        async with store.engine.begin() as connection:
            await connection.execute(text("ANALYZE article"))
    search.forget_term_counts(store.engine)
    async with store.unit() as uow:
        stats = await search._term_stats(uow.session, store.engine.dialect.name, ["invoice", "stale", "blan"])
    # The common word and the common prefix: all 20 on PostgreSQL, the cap + 1 on SQLite; the rare word counted.
    assert stats.articles_with == {"invoice": 20 if postgresql else 4, "stale": 1, "blan*": 20 if postgresql else 4}
    assert (await _titles(store, workspace, "invoice stale"))[:1] == ["Invoice 0"]


async def test_a_word_no_article_has_is_no_evidence_against_a_hit(store: SqlStore, workspace: Workspace) -> None:
    # "Globex" and "monday" are in no article: the rarest words of the query, they would outweigh what the hit shares
    # with it. Search ranks by all of them (matched); suggestions judge by the words some article has (matched_known).
    async with store.unit() as uow:
        await uow.articles.add(_article(workspace, "Invoice PDF export blank", state=ArticleState.VALIDATED))
        await uow.commit()
    async with store.unit() as uow:
        [hit] = await uow.articles.search(workspace.id, "Globex invoice PDF export blank since monday", limit=1)
    assert hit.matched < 0.5
    assert hit.matched_known == pytest.approx(1.0)
