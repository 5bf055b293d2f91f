"""Issue #5's scale: up to 1 000 000 succeeded donations across the live campaigns, once.

Generated inside PostgreSQL (INSERT … SELECT over generate_series): no row
crosses the wire, which beats both bulk_create and COPY from Python by an
order of magnitude. Each donation gets its ledger transaction (the key and
the two entries that trousse.ledger.services.ledger_record_donation would
post) and the campaigns' raised_cents/donors_count are raised by the same
sums, so `ledger_check` holds on the seeded database.

Donations are shared out in proportion to each campaign's minimum goal and
sized to reach about 60 % of it: pages show realistic progress bars and the
campaigns still accept donations (the donation scenario needs that). About
25 000 distinct donor e-mails, as a year of the real platform.

What was seeded is written in the table bench_seed_marker, so later runs
reuse it (and refuse to mix two sizes: `--reseed` starts over).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from bench.seed import SLUG_PREFIX

MARKER_TABLE = "bench_seed_marker"
SEED_PI_PREFIX = "pi_seed_"
DISTINCT_DONORS = 25_000
# Share of the minimum goal the seeded donations reach, on average.
GOAL_SHARE_PERCENT = 60

FIRST_NAMES = ["Camille", "Lucas", "Léa", "Hugo", "Chloé", "Louis", "Manon", "Jules", "Inès", "Gabriel", "Sarah", "Nathan", "Zoé", "Arthur", "Jade", "Mehdi"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Nguyen", "Lefèvre", "Garcia", "Diallo"]
MESSAGES = [
    "Bravo à toute la classe !",
    "Bon voyage les enfants, profitez bien.",
    "Fiers de vous, continuez comme ça.",
    "Un petit coup de pouce de la part de mamie.",
    "Merci à la maîtresse pour ce beau projet.",
    "Toute l'équipe de la boulangerie vous soutient.",
]


@dataclass
class DonationSeedInfo:
    donations: int
    campaigns_with_donations: int
    ledger_transactions: int
    seconds: float = 0.0
    created: bool = False


def ensure_marker_table(cursor) -> None:
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (name text PRIMARY KEY, info jsonb NOT NULL, seeded_at timestamptz NOT NULL DEFAULT now())")


def read_marker(cursor, name: str) -> dict | None:
    ensure_marker_table(cursor)
    cursor.execute(f"SELECT info FROM {MARKER_TABLE} WHERE name = %s", [name])
    row = cursor.fetchone()
    if row is None:
        return None
    return row[0] if isinstance(row[0], dict) else json.loads(row[0])


def write_marker(cursor, name: str, info: dict) -> None:
    ensure_marker_table(cursor)
    cursor.execute(
        f"INSERT INTO {MARKER_TABLE} (name, info) VALUES (%s, %s::jsonb) ON CONFLICT (name) DO UPDATE SET info = EXCLUDED.info, seeded_at = now()",
        [name, json.dumps(info)],
    )


def _sql_array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + "]"


def seed_donations(*, donations: int) -> DonationSeedInfo:
    """Seed `donations` succeeded donations (with their ledger rows) unless the marker says they are there."""
    from django.db import connection, transaction

    started = time.monotonic()
    with connection.cursor() as cursor:
        marker = read_marker(cursor, "donations")
    if marker is not None:
        if marker.get("requested", marker["donations"]) != donations:
            raise SystemExit(
                f"The bench database holds {marker['donations']} seeded donations, not {donations}: run `python -m bench --reseed`."
            )
        return DonationSeedInfo(
            donations=marker["donations"], campaigns_with_donations=marker["campaigns"], ledger_transactions=marker["ledger_transactions"], seconds=0.0
        )
    if donations <= 0:
        return DonationSeedInfo(donations=0, campaigns_with_donations=0, ledger_transactions=0)

    # Hashing (campaign, rank) gives every generated column a deterministic, varied value.
    h = "abs(hashtext(a.campaign_id::text || ':' || g.k::text))"
    with transaction.atomic(), connection.cursor() as cursor:
        # The seed is rebuilt from scratch if the machine dies mid-way: durability buys nothing here.
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SELECT coalesce(max(id), 0) FROM payments_donation")
        first_id = cursor.fetchone()[0]
        cursor.execute(
            """
            CREATE TEMP TABLE bench_alloc ON COMMIT DROP AS
            WITH live AS (
                SELECT id, minimum_goal_cents AS goal, start_date,
                       sum(minimum_goal_cents) OVER (ORDER BY id) AS cum,
                       sum(minimum_goal_cents) OVER () AS total
                FROM campaigns_campaign WHERE slug LIKE %s AND status = 'live'
            )
            SELECT id AS campaign_id, goal, start_date,
                   (floor(%s::numeric * cum / total) - floor(%s::numeric * (cum - goal) / total))::int AS n
            FROM live
            """,
            [SLUG_PREFIX + "%", donations, donations],
        )
        cursor.execute(
            f"""
            INSERT INTO payments_donation (
                public_id, amount_cents, method, status, refunded_cents, disputed_cents, donor_type,
                first_name, last_name, email, company_name, siret, address_line, postal_code, city, country,
                wants_tax_receipt, is_parent_of_pupil, public_message, is_anonymous,
                stripe_payment_intent_id, stripe_charge_id, failure_message, created_at, succeeded_at, confirmation_sent_at, updated_at, campaign_id)
            SELECT
                gen_random_uuid(),
                greatest(500, (a.goal * {GOAL_SHARE_PERCENT} / 100 / a.n) * (50 + {h} % 100) / 10000 * 100),
                CASE WHEN {h} % 10 = 1 THEN 'sepa_debit' ELSE 'card' END,
                'succeeded', 0, 0, 'individual',
                ({_sql_array(FIRST_NAMES)})[1 + {h} % {len(FIRST_NAMES)}],
                ({_sql_array(LAST_NAMES)})[1 + ({h} / 7) % {len(LAST_NAMES)}],
                'donateur' || ({h} % {DISTINCT_DONORS}) || '@exemple.fr',
                '', '',
                CASE WHEN {h} % 3 = 0 THEN (1 + {h} % 90) || ' rue de l''École' ELSE '' END,
                CASE WHEN {h} % 3 = 0 THEN '79000' ELSE '' END,
                CASE WHEN {h} % 3 = 0 THEN 'Niort' ELSE '' END,
                'FR',
                {h} % 3 = 0, {h} % 5 = 0,
                CASE WHEN {h} % 4 = 0 THEN ({_sql_array(MESSAGES)})[1 + ({h} / 11) % {len(MESSAGES)}] ELSE '' END,
                {h} % 10 = 0,
                '{SEED_PI_PREFIX}' || a.campaign_id || '_' || g.k,
                'ch_seed_' || a.campaign_id || '_' || g.k,
                '',
                a.start_date::timestamptz + (now() - a.start_date::timestamptz) * (g.k::float / (a.n + 1)),
                a.start_date::timestamptz + (now() - a.start_date::timestamptz) * (g.k::float / (a.n + 1)) + interval '1 minute',
                a.start_date::timestamptz + (now() - a.start_date::timestamptz) * (g.k::float / (a.n + 1)) + interval '2 minutes',
                now(),
                a.campaign_id
            FROM bench_alloc a CROSS JOIN LATERAL generate_series(1, a.n) AS g(k)
            WHERE a.n > 0
            """
        )
        inserted = cursor.rowcount
        cursor.execute("INSERT INTO ledger_ledgeraccount (kind, code) VALUES ('stripe_clearing', 'stripe_clearing') ON CONFLICT (code) DO NOTHING")
        cursor.execute(
            "INSERT INTO ledger_ledgeraccount (kind, code, campaign_id) SELECT 'campaign_fund', 'campaign_fund:' || campaign_id, campaign_id "
            "FROM bench_alloc WHERE n > 0 ON CONFLICT (code) DO NOTHING"
        )
        # The same key, reference and entries as ledger_record_donation: the books cannot tell them apart.
        cursor.execute(
            """
            WITH tx AS (
                INSERT INTO ledger_ledgertransaction (kind, key, reference, memo, created_at, campaign_id)
                SELECT 'donation', 'donation:' || d.id || ':succeeded', 'donation:' || d.id, '', d.succeeded_at, d.campaign_id
                FROM payments_donation d WHERE d.id > %s AND d.stripe_payment_intent_id LIKE %s
                RETURNING id, created_at, campaign_id, split_part(reference, ':', 2)::bigint AS donation_id
            )
            INSERT INTO ledger_ledgerentry (amount_cents, created_at, account_id, transaction_id)
            SELECT v.amount, tx.created_at, v.account_id, tx.id
            FROM tx
            JOIN payments_donation d ON d.id = tx.donation_id
            JOIN ledger_ledgeraccount fund ON fund.code = 'campaign_fund:' || tx.campaign_id
            CROSS JOIN (SELECT id FROM ledger_ledgeraccount WHERE code = 'stripe_clearing') clearing
            CROSS JOIN LATERAL (VALUES (-d.amount_cents, clearing.id), (d.amount_cents, fund.id)) AS v(amount, account_id)
            """,
            [first_id, SEED_PI_PREFIX + "%"],
        )
        entries = cursor.rowcount
        cursor.execute(
            """
            UPDATE campaigns_campaign c SET raised_cents = c.raised_cents + s.total, donors_count = c.donors_count + s.count
            FROM (SELECT campaign_id, sum(amount_cents) AS total, count(*) AS count FROM payments_donation
                  WHERE id > %s AND stripe_payment_intent_id LIKE %s GROUP BY campaign_id) s
            WHERE c.id = s.campaign_id
            """,
            [first_id, SEED_PI_PREFIX + "%"],
        )
        campaigns = cursor.rowcount
        info = {"donations": inserted, "campaigns": campaigns, "ledger_transactions": entries // 2, "seconds": round(time.monotonic() - started, 1)}
        write_marker(cursor, "donations", {**info, "requested": donations})
    with connection.cursor() as cursor:
        # Fresh statistics, or the planner guesses on the old, empty tables.
        cursor.execute("ANALYZE payments_donation, ledger_ledgertransaction, ledger_ledgerentry, ledger_ledgeraccount, campaigns_campaign")
    return DonationSeedInfo(
        donations=inserted, campaigns_with_donations=campaigns, ledger_transactions=entries // 2, seconds=time.monotonic() - started, created=True
    )
