"""Price-comparison feeds (Ceneo, Google Merchant)."""
