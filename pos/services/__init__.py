"""What the till does: checkout, recovery, refunds. Knows the domain and the ports, not Qt or Stripe."""
