from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "pages"
    verbose_name = "Pages, navigation and SEO"

    def ready(self):
        # Registers the site-wide deploy checks.
        from pages import checks  # noqa: F401
