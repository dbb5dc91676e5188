"""Qt widgets. They call services and render results; no Stripe object reaches here."""
