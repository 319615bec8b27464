"""Schemathesis hooks for the OpenAPI fuzz test (loaded through SCHEMATHESIS_HOOKS=hooks)."""
from datetime import datetime, timezone

import schemathesis

# The Gregorian calendar repeats every 400 years (146,097 days); Python's datetime starts at year 1,
# while the API's timestamps start at year 0.
CYCLE_SECONDS = 146_097 * 86_400


def _instant(value):
    """Seconds since the epoch of an API timestamp (UTC without an offset), or None if it is not one."""
    if not isinstance(value, str) or len(value) < 10 or not value[:4].isdigit():
        return None
    year = int(value[:4])
    early = year < 400
    text = (f"{year + 400:04d}{value[4:]}" if early else value).replace("z", "Z").replace("t", "T")
    # Python wants the offset with a colon (+0530 -> +05:30), which the API's grammar makes optional.
    if len(text) > 16 and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp() - (CYCLE_SECONDS if early else 0)


@schemathesis.hook
def filter_query(ctx, query):
    # `from` after `to` is a cross-field rule JSON Schema cannot state: documented as a 400 and
    # tested on its own (api/routes/market/market.int.test.ts); left out of generated requests.
    if not query:
        return True
    start, end = _instant(query.get("from")), _instant(query.get("to"))
    return start is None or end is None or start <= end



# Refusals that are right although JSON Schema cannot state the rule, each also documented where it
# applies and tested on its own: `from` after `to` (a cross-field rule; the generator avoids it where it
# can parse both, filter_query above), an API key's expiry in the past (a rule about the clock:
# api-keys.int.test.ts) and the password policy (common passwords, the email, length after NFKC
# normalisation: auth.int.test.ts). A 400 naming nothing else is not a finding.
UNSTATABLE = {
    ("from", "must not be after to"),
    ("expires_at", "must be in the future"),
    # POST /reports: a period's length, and a realized-gains report's tax year or period (reports.schemas.ts).
    ("to", "the period is at most 3660 days"),
    ("tax_year", "give tax_year or from and to, not both"),
    ("tax_year", "give tax_year or from and to"),
}
POLICY_FIELDS = {"password", "new_password"}


@schemathesis.hook
def filter_failure(ctx, failure, case, response):
    if response.status_code != 400:
        return True
    try:
        errors = response.json().get("errors") or []
    except Exception:
        return True
    named = {(error.get("name"), error.get("detail")) for error in errors}
    if named and (named <= UNSTATABLE or {name for name, _ in named} <= POLICY_FIELDS):
        return False
    return True
