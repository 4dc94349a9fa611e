from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "pages"
    verbose_name = "Pages, navigation and SEO"

    def ready(self):
        # Registers the site-wide deploy checks.
        from pages import checks, rich_text  # noqa: F401

        # Rich text the editor did not write is a form error, not a 500 (every
        # RichTextField in Wagtail's admin forms, pages' and the shop's alike).
        rich_text.register()

        # Log lines carry the request's id, or in a worker the task's (request_log.py).
        from pages.request_log import connect_signals

        connect_signals()
