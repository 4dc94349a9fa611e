"""Payment providers. Adding one: see README, "Adding a payment provider"."""
