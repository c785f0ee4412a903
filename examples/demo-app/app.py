"""Shop API (demo): reads its configuration from the environment, like most apps do."""

import os

STRIPE_SECRET_KEY = os.environ["STRIPE_SECRET_KEY"]
DATABASE_URL = os.environ["DATABASE_URL"]
AWS_REGION = os.environ.get("AWS_REGION", "us-east-1")
OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY")
REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")


def refund(charge_id: str) -> None:
    """Refund a charge (the kind of call an agent should never make with the owner's key)."""
    import stripe

    stripe.api_key = STRIPE_SECRET_KEY
    stripe.Refund.create(charge=charge_id)


def top_products(limit: int = 10) -> list[tuple[str, int]]:
    """Read-only report query: all an agent helping with analytics needs."""
    import psycopg

    with psycopg.connect(DATABASE_URL) as conn:
        rows = conn.execute(
            "SELECT name, sold FROM products ORDER BY sold DESC LIMIT %s", [limit]
        ).fetchall()
    return [(name, sold) for name, sold in rows]


if __name__ == "__main__":
    print(top_products())
