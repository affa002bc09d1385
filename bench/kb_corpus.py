"""Synthetic knowledge articles and the questions people ask about them, for the knowledge-base benchmarks (issue 6).

Everything is drawn from one `random.Random(seed)`, so a seed gives the same articles on every machine.

**Articles.** A support problem is a *thing* (40: invoice PDFs, CSV exports, SAML sign-on, webhooks, push
notifications, …), a *symptom* (16: times out, wrong amounts, never sent, garbled characters, …) and a *trigger*
(12: after an upgrade, for large accounts, in Safari, through the API, at month end, …): 7,680 distinct problems.
An article says its problem in the words support writes (the first wording of each), in KCS shape: a title, an issue
with an error code or a log line, an environment (product, version, deployment, browser), a resolution and a cause
drawn for the symptom, and the thing's tags. Larger knowledge bases repeat problems with other versions, customers,
error codes and details, as real ones do.

**Questions.** For each article, what an agent would type about the same problem, in other words:
- each of thing, symptom and trigger is said another way (a different wording from the list, often with no word in
  common with the article's: "bill as a PDF" for "invoice PDF", "spins forever" for "times out") with probability
  `REWORD`, and the trigger is left out with probability `DROP_TRIGGER`;
- a few other words are dropped (`DROP_WORD` each), a filler opens it ("customer says", "any idea why"), no tags;
- one word gets a typo (a swapped, missing or doubled letter) with probability `TYPO`.

    .venv/bin/python bench/kb_corpus.py [--seed 7] [--articles 5]   # prints a few articles and their questions
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/kb_corpus.py` as well as `python -m bench.kb_corpus`
    sys.path.insert(0, str(ROOT))

from bot.models import Article, ArticleState  # noqa: E402

REWORD = 0.7
DROP_TRIGGER = 0.3
DROP_WORD = 0.12
TYPO = 0.35


@dataclass(frozen=True)
class Concept:
    forms: tuple[str, ...]  # the first is how an article says it; the others how people ask
    tags: tuple[str, ...] = ()


# fmt: off
THINGS: tuple[Concept, ...] = (
    Concept(("invoice PDF", "PDF invoice", "bill as a PDF", "invoice document download"), ("billing", "pdf")),
    Concept(("CSV export", "export to CSV", "spreadsheet download", "CSV file download"), ("export", "csv")),
    Concept(("SAML single sign-on", "SSO login", "Okta sign in", "company login through our identity provider"),
            ("sso",)),
    Concept(("password reset email", "reset password link", "forgot password mail"), ("email", "auth")),
    Concept(("webhook delivery", "webhook callbacks", "event notifications to our endpoint"), ("api", "webhooks")),
    Concept(("iOS push notifications", "iPhone alerts", "mobile push messages"), ("mobile", "push-notifications")),
    Concept(("card payment checkout", "credit card checkout", "paying by card"), ("payments",)),
    Concept(("refund processing", "money back requests", "refunding an order"), ("refunds",)),
    Concept(("VAT rate on invoices", "tax percentage on bills", "sales tax amount"), ("tax", "billing")),
    Concept(("sales dashboard", "revenue report", "reporting charts"), ("reporting",)),
    Concept(("product search", "search results", "finding items by name"), ("search",)),
    Concept(("contact import", "bulk upload of customers", "importing contacts from a file"), ("import",)),
    Concept(("Salesforce sync", "CRM synchronisation", "Salesforce connector"), ("integrations", "salesforce")),
    Concept(("Google Calendar sync", "calendar integration", "meeting invites sync"), ("integrations", "calendar")),
    Concept(("role permissions", "access rights", "admin privileges"), ("permissions",)),
    Concept(("two-factor authentication", "2FA codes", "authenticator app codes"), ("auth", "2fa")),
    Concept(("attachment upload", "uploading documents", "adding files to a ticket"), ("files",)),
    Concept(("daily digest email", "summary emails", "morning newsletter"), ("email",)),
    Concept(("audit log", "activity history", "record of user actions"), ("security", "audit")),
    Concept(("GDPR erasure request", "right to be forgotten", "deleting personal data"), ("gdpr", "privacy")),
    Concept(("license seat count", "number of paid users", "user licences"), ("licensing", "billing")),
    Concept(("plan upgrade", "changing the subscription tier", "moving to enterprise pricing"), ("billing", "pricing")),
    Concept(("REST API rate limit", "API throttling", "too many requests from the API"), ("api",)),
    Concept(("API token", "personal API key", "integration credentials"), ("api", "auth")),
    Concept(("backup restore", "restoring from a snapshot", "database recovery"), ("backups", "postgres")),
    Concept(("Kubernetes deployment", "helm chart install", "pods on the cluster"), ("kubernetes",)),
    Concept(("timestamp time zone", "dates shown an hour off", "local time display"), ("timezones",)),
    Concept(("German translation", "localised interface text", "language of the screens"), ("localization",)),
    Concept(("Android app login", "signing in on the phone app", "mobile sign in"), ("mobile", "auth")),
    Concept(("shipping label printing", "printing parcel labels", "courier stickers"), ("shipping",)),
    Concept(("inventory stock level", "stock quantities", "warehouse counts"), ("inventory",)),
    Concept(("subscription auto-renewal", "automatic contract renewal", "renewal charge"), ("billing", "renewal")),
    Concept(("live chat widget", "chat bubble on the website", "support chat on our site"), ("widget",)),
    Concept(("Slack alert integration", "messages to our Slack channel", "Slack app notifications"),
            ("integrations", "slack")),
    Concept(("scheduled report email", "automatic weekly reports", "report subscriptions"), ("reporting", "email")),
    Concept(("custom ticket field", "extra form fields", "user-defined attributes"), ("configuration",)),
    Concept(("teammate invitation", "inviting new colleagues", "onboarding invite links"), ("users", "email")),
    Concept(("password policy", "password complexity rules", "password expiry"), ("auth", "security")),
    Concept(("receipt printer", "till receipts", "printed receipts at the register"), ("pos", "printing")),
    Concept(("PostgreSQL report query", "database queries behind reports", "SQL for the reporting database"),
            ("postgres", "performance")),
)

SYMPTOMS: tuple[Concept, ...] = (
    Concept(("times out", "spins forever", "hangs until it gives up", "never finishes loading")),
    Concept(("shows wrong amounts", "displays incorrect numbers", "has totals that are off")),
    Concept(("is missing records", "leaves out some entries", "skips rows")),
    Concept(("creates duplicates", "shows everything twice", "doubles the entries")),
    Concept(("fails with error 500", "returns an internal server error", "crashes with a 500")),
    Concept(("is never sent", "does not arrive", "nobody receives it")),
    Concept(("shows garbled characters", "breaks umlauts and accents", "prints strange symbols instead of letters")),
    Concept(("is very slow", "takes minutes to load", "is sluggish"), ("performance",)),
    Concept(("is denied with a permission error", "says access forbidden", "gives a 403")),
    Concept(("comes out blank", "is an empty page", "shows nothing at all")),
    Concept(("arrives hours late", "is delayed", "shows up much later than expected")),
    Concept(("logs users out", "ends the session unexpectedly", "kicks people back to the login page")),
    Concept(("appears in the wrong language", "is in English instead of the chosen language")),
    Concept(("stays stuck in pending", "never leaves the processing state", "is stuck waiting")),
    Concept(("is rejected as invalid", "is refused with a validation error", "gets declined")),
    Concept(("overwrites newer changes", "loses edits made elsewhere", "reverts recent updates")),
)

TRIGGERS: tuple[Concept, ...] = (
    Concept(("after the upgrade to version {version}", "since updating to {version}", "since release {version}")),
    Concept(("for accounts with more than {count} records", "on big customers with lots of data",
             "when the data set is huge")),
    Concept(("in Safari on macOS", "on Apple's browser", "on a Mac")),
    Concept(("when the locale is {locale}", "for users with {locale} language settings")),
    Concept(("when called through the REST API", "for requests from our script", "via the API")),
    Concept(("during month-end close", "at the end of the month", "on the last day of the billing period")),
    Concept(("behind a corporate proxy", "on the customer's company network", "through their firewall")),
    Concept(("with multi-currency enabled", "when several currencies are used", "for customers billed in {currency}")),
    Concept(("after the daylight saving change", "since the clocks changed", "around the DST switch")),
    Concept(("on the Android app", "from phones", "in the mobile app")),
    Concept(("for bulk operations over {count} items", "when doing many at once", "in batch mode")),
    Concept(("in the sandbox environment", "on the test tenant", "in staging")),
)

# What fixed it and why, per symptom: {thing} is the thing's article wording.
FIXES: tuple[tuple[tuple[str, str], ...], ...] = (
    (("Raise the {thing} worker timeout to 300 seconds and re-run the job.", "The default timeout of 30 seconds is "
      "too short for this volume."), ("Move the {thing} job to the background queue.", "The request ran inline and "
      "hit the load balancer limit.")),
    (("Rebuild the cached totals with the recalculate task.", "Rounding was applied per line instead of per "
      "document."), ("Correct the exchange rate table and regenerate.", "A stale exchange rate was cached.")),
    (("Re-run the sync with the full-resync flag.", "Pagination stopped early when a page came back empty."),
     ("Clear the filter on archived records.", "Archived records were excluded by a default filter.")),
    (("Enable the idempotency key on the {thing} job.", "A retry after a network timeout ran the job twice."),
     ("Remove the second scheduler instance.", "Two scheduler pods ran the same job.")),
    (("Apply hotfix {version}.1, which handles empty optional fields.", "A null value in an optional field raised "
      "an exception."), ("Restart the worker after freeing disk space.", "The temporary volume was full.")),
    (("Add the sending domain to the SPF record and verify DKIM.", "Mail was rejected as spoofed by the recipient."),
     ("Unblock the address in the suppression list.", "An old bounce put the address on the suppression list.")),
    (("Set the export encoding to UTF-8 with BOM.", "The file was written as Latin-1."),
     ("Install the Noto fonts on the render host.", "The font lacked the glyphs.")),
    (("Add the missing index on account_id and analyze the table.", "A sequential scan ran on a large table."),
     ("Turn on pagination for the {thing} view.", "All rows were loaded at once.")),
    (("Grant the role the view permission on that module.", "The new module shipped without a default grant."),
     ("Re-sync the group membership from the identity provider.", "Group claims were cached from before the "
      "change.")),
    (("Clear the template cache and render again.", "The template cache was stale after the upgrade."),
     ("Re-upload the logo in PNG format.", "An SVG logo made the renderer abort silently.")),
    (("Scale the queue consumers from 2 to 6.", "The queue backed up behind a slow consumer."),
     ("Fix the cron expression to use UTC.", "The schedule ran in the server's local time.")),
    (("Raise the session lifetime and enable refresh tokens.", "Sessions expired after 15 minutes of inactivity."),
     ("Sync the server clock with NTP.", "Clock skew made tokens look expired.")),
    (("Set the account default language and clear the user cache.", "The language came from the browser header."),
     ("Publish the missing translation keys.", "New strings were not exported to the translation files.")),
    (("Restart the stuck consumer and replay the dead-letter queue.", "A poison message blocked the consumer."),
     ("Renew the expired provider credentials.", "The payment provider rejected expired credentials.")),
    (("Update the validation rule to accept the new format.", "The validation did not accept the new ID format."),
     ("Ask the bank to whitelist the merchant ID.", "The bank's fraud filter declined the transactions.")),
    (("Turn on optimistic locking for the {thing} records.", "Two writers saved without checking versions."),
     ("Switch the sync direction to two-way with last-writer-wins off.", "The one-way sync overwrote local "
      "edits.")),
)
# fmt: on

PRODUCTS = ("Ledger", "Shopfront", "Helpdesk", "Payroll", "CRM Suite", "Field Service")
DEPLOYMENTS = ("cloud EU", "cloud US", "on-premises", "private cloud", "cloud APAC")
BROWSERS = ("Chrome 124", "Firefox 126", "Edge 125", "Safari 17", "Chrome on Windows 11", "iOS 17 app")
LOCALES = ("de-DE", "fr-FR", "ja-JP", "pt-BR", "es-ES", "nl-NL", "pl-PL")
CURRENCIES = ("EUR", "GBP", "JPY", "CHF", "BRL", "SEK")
CUSTOMERS = (
    "ACME", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises", "Soylent",
    "Vandelay", "Cyberdyne", "Tyrell", "Wonka", "Gringotts", "Oscorp", "Aperture", "Massive Dynamic",
)  # fmt: skip
FILLERS = ("", "", "customer says", "any idea why", "help:", "{customer} reports", "urgent -", "hi, the", "why")
DETAILS = (
    "The log shows ERR-{code}.",
    "Error code {code} appears in the job log.",
    "Support reproduced it with a test account.",
    "It started for {customer} first.",
    "About {count} users are affected.",
    "The retry button gives the same result.",
)
START = datetime(2024, 1, 1, tzinfo=UTC)
PROBLEMS = len(THINGS) * len(SYMPTOMS) * len(TRIGGERS)


@dataclass(frozen=True)
class Problem:
    thing: int
    symptom: int
    trigger: int


@dataclass(frozen=True)
class Question:
    text: str
    article: int  # index of the article it is about


def problems(rng: random.Random, count: int, distinct: bool) -> list[Problem]:
    """`count` problems; all different while there are (distinct=True), else drawn freely."""
    everything = [
        Problem(a, b, c) for a in range(len(THINGS)) for b in range(len(SYMPTOMS)) for c in range(len(TRIGGERS))
    ]
    if distinct and count <= len(everything):
        return rng.sample(everything, count)
    return [rng.choice(everything) for _ in range(count)]


def draw_slots(rng: random.Random) -> dict[str, str]:
    major, minor = rng.randint(3, 6), rng.randint(0, 9)
    return {
        "version": f"{major}.{minor}",
        "count": str(rng.choice((500, 1000, 5000, 10000, 50000))),
        "locale": rng.choice(LOCALES),
        "currency": rng.choice(CURRENCIES),
        "customer": rng.choice(CUSTOMERS),
        "code": str(rng.randint(1000, 9999)),
    }


def _say(template: str, slots: dict[str, str], thing: str = "") -> str:
    return template.format(thing=thing, **slots)


def article(
    workspace_id: int, number: int, problem: Problem, rng: random.Random, slots: dict[str, str] | None = None
) -> Article:
    slots = slots or draw_slots(rng)
    thing, symptom, trigger = THINGS[problem.thing], SYMPTOMS[problem.symptom], TRIGGERS[problem.trigger]
    what = f"{thing.forms[0]} {symptom.forms[0]} {_say(trigger.forms[0], slots)}"
    fix, cause = rng.choice(FIXES[problem.symptom])
    details = " ".join(_say(d, slots) for d in rng.sample(DETAILS, 2))
    environment = (
        f"{rng.choice(PRODUCTS)} {slots['version']} · {rng.choice(DEPLOYMENTS)} · {rng.choice(BROWSERS)} · "
        f"Customer: {slots['customer']}"
    )
    created = START + timedelta(minutes=rng.randint(0, 60 * 24 * 700))
    return Article(
        workspace_id=workspace_id,
        number=number,
        title=what[0].upper() + what[1:],
        issue=f"The {what}. {details}",
        environment=environment,
        resolution=_say(fix, slots, thing.forms[0]),
        cause=cause,
        tags=list(dict.fromkeys((*thing.tags, *symptom.tags))),
        contributors=["Ana Ruiz"],
        state=rng.choice((ArticleState.VALIDATED, ArticleState.VALIDATED, ArticleState.DRAFT)),
        reuse_count=rng.choice((0, 0, 0, 1, 2, 5)),
        created_at=created,
        updated_at=created,
    )


def articles(workspace_id: int, count: int, seed: int = 7, distinct: bool = False) -> Iterator[Article]:
    """`count` articles numbered from 1; distinct=True makes every problem a different one (up to PROBLEMS)."""
    rng = random.Random(seed)
    for number, problem in enumerate(problems(rng, count, distinct), start=1):
        yield article(workspace_id, number, problem, rng)


def question(problem: Problem, index: int, rng: random.Random, slots: dict[str, str]) -> Question:
    """A question about the article made of `problem` and `slots` (its version, customer, …)."""
    thing = _reword(THINGS[problem.thing], rng)
    symptom = _reword(SYMPTOMS[problem.symptom], rng)
    parts = [_say(rng.choice(FILLERS), slots), thing, symptom]
    if rng.random() >= DROP_TRIGGER:
        parts.append(_say(_reword(TRIGGERS[problem.trigger], rng), slots))
    words = " ".join(p for p in parts if p).split()
    kept = [w for w in words if rng.random() >= DROP_WORD] or words
    if rng.random() < TYPO:
        at = rng.choice([i for i, w in enumerate(kept) if len(w) >= 4] or [0])
        kept[at] = typo(kept[at], rng)
    text = " ".join(kept)
    return Question(text.lower() if rng.random() < 0.5 else text, index)


def _reword(concept: Concept, rng: random.Random) -> str:
    if len(concept.forms) > 1 and rng.random() < REWORD:
        return rng.choice(concept.forms[1:])
    return concept.forms[0]


def typo(word: str, rng: random.Random) -> str:
    """A swapped, missing or doubled letter, as fast typing does."""
    if len(word) < 3:
        return word
    at = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]
    if kind == 1:
        return word[:at] + word[at + 1 :]
    return word[:at] + word[at] + word[at:]


def recall_set(count: int, seed: int = 7) -> tuple[list[Article], list[Question]]:
    """`count` articles about different problems and one question about each."""
    rng = random.Random(seed)
    chosen = problems(rng, count, distinct=True)
    slots = [draw_slots(rng) for _ in chosen]
    made = [article(1, n, problem, rng, slots[n - 1]) for n, problem in enumerate(chosen, start=1)]
    asking = random.Random(seed + 4)
    return made, [question(problem, i, asking, slots[i]) for i, problem in enumerate(chosen)]


def main(argv: Sequence[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument("--seed", type=int, default=7)
    options.add_argument("--articles", type=int, default=5)
    args = options.parse_args(argv)
    made, asked = recall_set(args.articles, args.seed)
    for item, q in zip(made, asked, strict=True):
        print(f"#{item.number} {item.title}  {' '.join('#' + t for t in item.tags)}")
        print(f"    issue: {item.issue}")
        print(f"    environment: {item.environment}")
        print(f"    resolution: {item.resolution}  cause: {item.cause}")
        print(f"    asked: {q.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
