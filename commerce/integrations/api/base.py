from ninja import NinjaAPI


class StableOperationIdsAPI(NinjaAPI):
    """A NinjaAPI whose OpenAPI operation ids do not follow the code around.

    Ninja derives each id from the view's module path, and client generators name
    their methods after the ids: moving a module would rename every method in an
    integrator's generated client. The ids stay the ones first published.
    """

    def __init__(self, *, operation_id_prefix: str, **kwargs):
        self.operation_id_prefix = operation_id_prefix
        super().__init__(**kwargs)

    def get_openapi_operation_id(self, operation) -> str:
        return f"{self.operation_id_prefix}_{operation.view_func.__name__}"
