from wagtail.snippets.models import register_snippet

from integrations.admin import IntegrationsViewSetGroup

register_snippet(IntegrationsViewSetGroup)
