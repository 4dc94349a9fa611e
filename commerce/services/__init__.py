"""Business rules, one module each. Views, templates and the admin call these."""
