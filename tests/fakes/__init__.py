"""Loopback stand-ins for the platforms Swarm talks to, for tests that drive the real server.

- `slack_api.FakeSlack`: a fake of Slack's Web API (and of `response_url` hooks) that records every call and can
  rate-limit, fail, stall or drop on demand.
- `slack_signing.SlackSender`: sends requests to our server signed and shaped the way Slack sends them.
- `teams_connector.FakeConnector`: a fake of the Bot Framework connector as Teams runs it (the `serviceUrl` of the
  activities tests send), recording every call, with throttling and outages on demand and signing keys for auth.
- `zendesk_api.FakeZendesk`: a fake of Zendesk's Support API (tickets, comments, users, organizations, UpdateTicket),
  recording every call, with 429s (Retry-After) and outages on demand.
- `salesforce_api.FakeSalesforce`: a fake of Salesforce's REST API (the client credentials token, SOQL on Case and
  CaseComment answered in batches with `nextRecordsUrl`, CaseComment create), recording every call, the token's
  included, with 403 REQUEST_LIMIT_EXCEEDED, outages, expired tokens and expired query locators on demand.
- `jira_api.FakeJira`: a fake of Jira Cloud's REST API v3 and JSM's `/rest/servicedeskapi` (getFields, getIssue,
  getComments, getOrganizations, createRequestComment) that also writes the admin webhooks' bodies about its issues,
  recording every call, with 429s (Retry-After) and outages on demand.
"""
