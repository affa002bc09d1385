"""Who may read the web pages, and whose data they see.

Two ways in, both ending in a signed session cookie bound to one workspace (adapters/webui/session.py):
- SWARM_WEB_TOKEN, pasted on the sign-in page (or given once as `?token=` on any page, or as
  `Authorization: Bearer …` on every request, as Prometheus and scripts do). Its workspace is the default one, by the
  rule the CLI follows too (adapters/workspaces.py): SWARM_WEB_WORKSPACE,
  or the single Slack workspace, or the one workspace Swarm has data for, or the console.
- Sign in with Slack (OpenID Connect, with slack_sdk): the person's Slack team is their workspace, and only a team
  that installed Swarm (or the single workspace of SLACK_BOT_TOKEN) gets in. The state travels like OAuth's: kept
  in the database's state store, and in a short-lived signed cookie of the browser that started the sign-in.
"""

from __future__ import annotations

import hmac
import logging
import math
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import quote, urljoin

from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.oauth.authorize_url_generator import OpenIDConnectAuthorizeUrlGenerator
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from adapters.app import App
from adapters.forwarded import KEY as FORWARDED
from adapters.metrics import ApiCallObserver
from adapters.slack import SlackMount
from adapters.throttle import Throttle, oauth_states
from adapters.webui.problems import Problem, problem_page
from adapters.webui.redirects import local_target
from adapters.webui.render import page
from adapters.webui.session import COOKIE, LIFETIME, SLACK, TOKEN, Session, Signer
from adapters.workspaces import NoWorkspace, default_workspace

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Page = Callable[[web.Request, Session], Awaitable[web.StreamResponse]]
STATE_COOKIE = "swarm_signin"
STATE_SECONDS = 600
OIDC_SCOPES = ("openid", "email", "profile")
SIGNIN = "/signin"
CALLBACK = "/auth/slack/callback"
# Wrong tokens a client may give at once, and how often it earns one more try: ten, then one every 6 s.
WRONG_TOKENS = 10
REFILL_SECONDS = 6.0
NO_SLACK_SIGNIN = Problem(
    404,
    "Sign in with Slack is not set up",
    "Whoever runs Swarm has not set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET, so Slack cannot sign you in here.",
    ((SIGNIN, "Sign in with the access token"),),
)


class Auth:
    def __init__(self, app: App, slack: SlackMount | None = None) -> None:
        settings = app.settings
        self.app = app
        self.settings = settings
        self.slack = slack
        if settings.secret_key:
            self.signer = Signer.from_secrets(settings.secret_key)
        else:
            self.signer = Signer.from_secrets(
                settings.web_token, settings.slack_client_secret, settings.slack_signing_secret
            )
        self.with_slack = bool(settings.slack_client_id and settings.slack_client_secret)
        self.throttle = Throttle(WRONG_TOKENS, REFILL_SECONDS, lambda: app.core.clock().timestamp())
        # Each sign-in started stores an OAuth state, as each install page does: the same buckets as the Slack mount's.
        self.oauth_states = slack.oauth_states if slack else oauth_states(lambda: app.core.clock().timestamp())
        engine = app.store.engine
        self.states = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine)
        self.installations = (
            AsyncSQLAlchemyInstallationStore(settings.slack_client_id, engine) if settings.slack_client_id else None
        )

    def mount(self, web_app: web.Application) -> None:
        web_app.router.add_get(SIGNIN, self.signin_page)
        web_app.router.add_post(SIGNIN, self.signin)
        web_app.router.add_post("/signout", self.signout)
        web_app.router.add_get("/auth/slack", self.slack_start)
        web_app.router.add_get(CALLBACK, self.slack_callback)

    # -- who is asking --------------------------------------------------------------------------------------------

    async def current(self, request: web.Request) -> Session | None:
        """The request's session: its cookie, or a bearer token."""
        bearer = _bearer(request)
        if bearer is not None:
            return await self._token_session(bearer) if self.attempt(request, bearer) else None
        session = self.signer.read(request.cookies.get(COOKIE))
        if session is None:
            return None
        if session.via == TOKEN:
            # A session of another token (it was changed), or of a token that is no longer set, has ended.
            token = self.settings.web_token
            if not token or not hmac.compare_digest(session.token_tag, self.signer.tag(token)):
                return None
        elif session.via == SLACK and not await self.installed(session.workspace):
            return None  # the workspace uninstalled Swarm since: its sessions end with it
        return session

    def valid_token(self, given: str) -> bool:
        token = self.settings.web_token
        # Bytes: compare_digest refuses non-ASCII text, and a header may hold undecodable bytes (surrogates).
        return bool(token) and hmac.compare_digest(given.encode("utf-8", "surrogateescape"), str(token).encode())

    def retry_after(self, request: web.Request) -> int | None:
        """Seconds before the request's client may give a token again, if it gave too many wrong ones lately
        (adapters/throttle.py); None: now. Until then its tokens, the right one too, are not looked at."""
        wait = self.throttle.wait(request.remote or "")
        return math.ceil(wait) if wait > 0 else None

    def attempt(self, request: web.Request, given: str) -> bool:
        """Checks a token someone gave (the form, `?token=`, a bearer); a wrong one counts against their client.
        A client that must wait gets 429 here (callers with a page to show ask `retry_after` first)."""
        wait = self.retry_after(request)
        if wait is not None:
            raise web.HTTPTooManyRequests(text="Too many wrong tokens from here.\n", headers={"Retry-After": str(wait)})
        if self.valid_token(given):
            return True
        self.throttle.spend(request.remote or "")
        return False

    def protect(self, handler: Page) -> Handler:
        """Pages for signed-in people only: anyone else goes to the sign-in page, and comes back after."""

        async def protected(request: web.Request) -> web.StreamResponse:
            given = request.query.get("token")
            if given is not None:
                return await self._sign_in_with_link(request, given)
            session = await self.current(request)
            if session is None:
                if _bearer(request) is not None:
                    raise web.HTTPUnauthorized(text="wrong token", headers={"WWW-Authenticate": "Bearer"})
                raise web.HTTPFound(f"{SIGNIN}?next={quote(request.path_qs, safe='')}")
            return await handler(request, session)

        return protected

    async def token_workspace(self) -> str:
        """Whose data a token session shows (see the module's docstring)."""
        return await default_workspace(self.app, self._single_team)

    # -- the token ------------------------------------------------------------------------------------------------

    async def signin_page(self, request: web.Request) -> web.StreamResponse:
        if await self.current(request) is not None:
            raise web.HTTPFound(local_target(request.query.get("next")))
        return self._signin(request, error=request.query.get("error", ""))

    async def signin(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        token, target = str(form.get("token", "")).strip(), local_target(str(form.get("next", "")))
        if (wait := self.retry_after(request)) is not None:
            return self._too_many(request, wait, target)
        if not self.attempt(request, token):
            return self._signin(request, error="token", status=401, target=target)
        return await self._token_cookie(request, token, target)

    async def _sign_in_with_link(self, request: web.Request, token: str) -> web.StreamResponse:
        """`?token=…` on a page: signs in, then shows the page at an address without the token."""
        query = {k: v for k, v in request.query.items() if k != "token"}
        target = local_target(str(request.rel_url.with_query(query)))
        if (wait := self.retry_after(request)) is not None:
            return self._too_many(request, wait, target)
        if not self.attempt(request, token):
            return self._signin(request, error="token", status=401, target=target)
        return await self._token_cookie(request, token, target)

    async def _token_cookie(self, request: web.Request, token: str, target: str) -> web.StreamResponse:
        try:
            workspace = await self.token_workspace()
        except NoWorkspace as several:
            return self._signin(request, error="workspace", status=409, target=target, workspaces=str(several))
        response = _see_other(target)
        self._set_session(request, response, self.signer.new(workspace, "token", TOKEN, token=token))
        return response

    async def _token_session(self, token: str) -> Session | None:
        try:
            return self.signer.new(await self.token_workspace(), "token", TOKEN, token=token)
        except NoWorkspace:
            return None

    async def signout(self, request: web.Request) -> web.StreamResponse:
        response = _see_other(SIGNIN)
        response.del_cookie(COOKIE, path="/")
        return response

    # -- Sign in with Slack ---------------------------------------------------------------------------------------

    async def slack_start(self, request: web.Request) -> web.StreamResponse:
        if not self.with_slack:
            return problem_page(request, NO_SLACK_SIGNIN)
        target = local_target(request.query.get("next"))
        if wait := self.oauth_states.take(request.remote or ""):
            return self._too_many(request, math.ceil(wait), target, "slack_throttled")
        state = await self.states.async_issue()
        nonce = secrets.token_urlsafe(16)
        authorize = OpenIDConnectAuthorizeUrlGenerator(
            client_id=str(self.settings.slack_client_id),
            redirect_uri=self.redirect_uri(request),
            scopes=list(OIDC_SCOPES),
            authorization_url=urljoin(self.settings.slack_api_url, "/openid/connect/authorize"),
        ).generate(state=state, nonce=nonce)
        response = web.Response(status=302, headers={"Location": authorize})
        response.set_cookie(
            STATE_COOKIE,
            self.signer.sign({"state": state, "next": target}),
            max_age=STATE_SECONDS,
            path="/auth/slack",
            httponly=True,
            samesite="Lax",
            secure=request.app[FORWARDED].is_https(request),
        )
        return response

    async def slack_callback(self, request: web.Request) -> web.StreamResponse:
        if not self.with_slack:
            return problem_page(request, NO_SLACK_SIGNIN)
        kept = self.signer.unsign(request.cookies.get(STATE_COOKIE, "")) or {}
        state, code = request.query.get("state", ""), request.query.get("code", "")
        target = local_target(str(kept.get("next", "")))
        if request.query.get("error"):
            return self._signin(request, error="slack_cancelled", status=401, target=target)
        if not state or not code or kept.get("state") != state or not await self.states.async_consume(state):
            # A state nobody gave this browser: a stale link, or someone trying states; the latter is slowed down.
            if wait := self.oauth_states.take(request.remote or ""):
                return self._too_many(request, math.ceil(wait), target, "slack_throttled")
            return self._signin(request, error="slack_state", status=401, target=target)
        try:
            identity = await self._identity(request, code)
        except SlackApiError as err:
            log.warning("Sign in with Slack failed: %s", err.response.get("error"))
            return self._signin(request, error="slack_failed", status=401, target=target)
        team = str(identity.get("https://slack.com/team_id") or "")
        if not team or not await self.installed(team):
            log.warning("Sign in with Slack refused for team %r: Swarm is not installed there", team)
            return self._signin(request, error="not_installed", status=403, target=target)
        user = str(identity.get("name") or identity.get("email") or identity.get("sub") or "")
        session = self.signer.new(team, user, SLACK, team_name=str(identity.get("https://slack.com/team_name") or ""))
        response = _see_other(target)
        response.del_cookie(STATE_COOKIE, path="/auth/slack")
        self._set_session(request, response, session)
        return response

    async def _identity(self, request: web.Request, code: str) -> dict[str, object]:
        """The code → a user token (openid.connect.token) → who it is (openid.connect.userInfo)."""
        base = self.settings.slack_api_url
        handlers = [ApiCallObserver(self.app.metrics), AsyncConnectionErrorRetryHandler()]
        exchanged = await AsyncWebClient(base_url=base, retry_handlers=handlers).openid_connect_token(
            client_id=str(self.settings.slack_client_id),
            client_secret=str(self.settings.slack_client_secret),
            code=code,
            redirect_uri=self.redirect_uri(request),
        )
        token = str(exchanged.get("access_token") or "")
        info = await AsyncWebClient(token=token, base_url=base, retry_handlers=handlers).openid_connect_userInfo()
        return dict(info.data) if isinstance(info.data, dict) else {}

    async def installed(self, team: str) -> bool:
        """True for a team Swarm is installed in: the single workspace of SLACK_BOT_TOKEN, or one in the store of
        OAuth installations."""
        if self.slack is not None and team in self.slack.uninstalled:
            return False
        if team == await self._single_team():
            return True
        if self.installations is None:
            return False
        return await self.installations.async_find_bot(enterprise_id=None, team_id=team) is not None

    async def _single_team(self) -> str | None:
        """The team of SLACK_BOT_TOKEN (auth.test, asked once by the Slack mount), if that is how Slack is set up."""
        if self.slack is None or self.slack.single is None:
            return None
        try:
            return str((await self.slack.single.start()).team_id)
        except Exception:
            log.exception("web sign-in: auth.test failed, so the workspace of SLACK_BOT_TOKEN is not known")
            return None

    def redirect_uri(self, request: web.Request) -> str:
        base = self.settings.web_url.rstrip("/") or f"{request.scheme}://{request.host}"
        return base + CALLBACK

    # -- pieces ---------------------------------------------------------------------------------------------------

    def _signin(
        self, request: web.Request, error: str = "", status: int = 200, target: str | None = None, workspaces: str = ""
    ) -> web.Response:
        return page(
            request,
            "signin.html",
            status=status,
            error=error,
            next=target if target is not None else local_target(request.query.get("next")),
            with_token=bool(self.settings.web_token),
            with_slack=self.with_slack,
            workspaces=workspaces,
        )

    def _too_many(self, request: web.Request, wait: int, target: str, error: str = "throttled") -> web.Response:
        """The sign-in page, answered 429: this client gave too many wrong tokens (or started too many sign-ins with
        Slack: `error`); Retry-After says when to retry."""
        response = self._signin(request, error=error, status=429, target=target)
        response.headers["Retry-After"] = str(wait)
        return response

    def _set_session(self, request: web.Request, response: web.StreamResponse, session: Session) -> None:
        response.set_cookie(
            COOKIE,
            self.signer.session(session),
            max_age=LIFETIME,
            path="/",
            httponly=True,
            samesite="Lax",
            secure=request.app[FORWARDED].is_https(request),
        )


def _see_other(target: str) -> web.Response:
    return web.Response(status=303, headers={"Location": target})


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None
