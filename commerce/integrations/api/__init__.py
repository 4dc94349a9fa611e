"""The shop's two JSON APIs: the integration API v1 (read) and the create-order API."""
