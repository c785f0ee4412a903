"""Inventory service (demo): every credential comes from the environment at run time."""

import os

DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://localhost:5432/inventory")
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY")


def describe() -> str:
    """Say where the service connects, without printing any credential."""
    return f"inventory service; database configured: {bool(DATABASE_URL)}"


if __name__ == "__main__":
    print(describe())
